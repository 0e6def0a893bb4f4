"""Real-browser tests: Playwright driving Debian's Chromium against the real server."""
