<?xml version="1.0" encoding="UTF-8"?>
<!-- Shows /feed.xml to a person who opens it in a browser: an Arabic, right-to-left page with the
     episodes, their stories and players. Podcast apps never read this. -->
<xsl:stylesheet version="1.0"
    xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
    xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd">
  <xsl:output method="html" encoding="UTF-8" indent="yes"/>
  <xsl:template match="/rss/channel">
    <html lang="ar" dir="rtl">
      <head>
        <meta charset="utf-8"/>
        <meta name="viewport" content="width=device-width, initial-scale=1"/>
        <title><xsl:value-of select="title"/> — خلاصة البودكاست</title>
        <link rel="stylesheet" href="/static/style.css"/>
      </head>
      <body>
        <main class="feed-page">
          <p><a id="back" href="{link}">← العودة إلى الموقع</a></p>
          <header class="card">
            <img class="artwork" src="{itunes:image/@href}" alt="" width="120" height="120"/>
            <h1><xsl:value-of select="title"/></h1>
            <p><xsl:value-of select="description"/></p>
            <p class="hint">هذه خلاصة بودكاست. للاشتراك انسخوا عنوان هذه الصفحة في تطبيق البودكاست:
              <code dir="ltr" id="feed-url"><xsl:value-of select="*[local-name()='link' and @rel='self']/@href"/></code></p>
          </header>
          <xsl:for-each select="item">
            <article class="card episode">
              <h2><xsl:value-of select="title"/></h2>
              <p class="hint"><xsl:value-of select="pubDate"/></p>
              <audio controls="controls" preload="none" src="{enclosure/@url}"></audio>
              <p class="description" style="white-space: pre-line"><xsl:value-of select="description"/></p>
            </article>
          </xsl:for-each>
        </main>
      </body>
    </html>
  </xsl:template>
  <xsl:template match="/">
    <xsl:apply-templates select="rss/channel"/>
  </xsl:template>
</xsl:stylesheet>
