"""The hourly news that runs itself: sources, programmes on a schedule, hand-off to the playout.

`feeds` and `dedupe` turn fetched bytes into distinct stories, `fit` trims a bulletin to its
length, `schedule` says when a programme's next bulletin is built and aired; `fetch` and
`playout` are the edges that touch the network and the station's playout.
"""
