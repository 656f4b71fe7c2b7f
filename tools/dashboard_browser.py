"""Headless Chromium driven over the DevTools protocol, Python standard library only: the part
tools/dashboard-check and tools/dashboard-screenshot share.

Chromium runs with --remote-debugging-pipe (it reads protocol messages on fd 3 and writes them on
fd 4, each a JSON text ending in NUL), so no port is opened and no websocket is needed. The page
gets its own throwaway profile directory, and the background services that would reach the network
(component updates, sync, safe browsing lists) are switched off.

    with Browser() as browser:
        page = browser.open_page(1280, 800)
        page.navigate("http://127.0.0.1:6380/dashboard", api_key="...")
        page.wait_for("document.body.dataset.state === 'live'", timeout=15)
        png = page.screenshot()
"""
import base64
import ipaddress
import json
import os
import queue
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import urllib.parse
import urllib.request

FLAGS = [
    "--headless=new",
    "--no-sandbox",  # needed as root and in containers without user namespaces; the page is our own
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--remote-debugging-pipe",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-extensions",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--safebrowsing-disable-auto-update",
    "--mute-audio",
    "--force-color-profile=srgb",
]


class BrowserError(Exception):
    """Chromium did not start, answered an error, or a wait ran out."""


def loopback_base(url):
    """URL without a trailing /dashboard or /; refuses anything but http(s) on a loopback address."""
    parsed = urllib.parse.urlsplit(url)
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise BrowserError(f"{url}: expected http://HOST:PORT")
    host = parsed.hostname
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise BrowserError(f"{url}: only loopback addresses (127.0.0.1, ::1, localhost) are allowed")
    path = parsed.path.rstrip("/")
    if path.endswith("/dashboard"):
        path = path[: -len("/dashboard")]
    return urllib.parse.urlunsplit((parsed.scheme, parsed.netloc, path, "", ""))


def read_key(path):
    """The first key of an API key file, read as `fmdb serve --api-key-file` does: one key a line,
    trimmed, blank lines and lines starting with # skipped."""
    if not path:
        return None
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            if line.strip() and not line.strip().startswith("#"):
                return line.strip()
    raise BrowserError(f"{path}: no key in the file")


def fetch_json(url, api_key=None, timeout=5):
    """GET url as JSON with the key as a bearer token (the checker's own look at the data)."""
    request = urllib.request.Request(url, headers={"Accept": "application/json"})
    if api_key:
        request.add_header("Authorization", "Bearer " + api_key)
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.load(response)


class Browser:
    """One headless Chromium process; a context manager that always ends it."""

    def __init__(self, chromium=None):
        self.chromium = chromium or os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
        if not self.chromium:
            raise BrowserError("no chromium on PATH (Debian: apt-get install chromium)")
        self.profile = tempfile.mkdtemp(prefix="fm-chromium-")
        self.messages = queue.Queue()
        self.handlers = {}
        self.next_id = 0
        self.log = open(os.path.join(self.profile, "chromium.log"), "wb")
        to_chrome_r, self.to_chrome = os.pipe()
        self.from_chrome, from_chrome_w = os.pipe()

        def child_fds():
            # fd 3: what Chromium reads, fd 4: what it writes; moved high first so the two dup2
            # calls cannot clobber each other
            import fcntl
            read_end = fcntl.fcntl(to_chrome_r, fcntl.F_DUPFD, 10)
            write_end = fcntl.fcntl(from_chrome_w, fcntl.F_DUPFD, 10)
            os.dup2(read_end, 3)
            os.dup2(write_end, 4)

        try:
            self.process = subprocess.Popen(
                [self.chromium, *FLAGS, f"--user-data-dir={self.profile}", "about:blank"],
                stdin=subprocess.DEVNULL, stdout=self.log, stderr=self.log,
                close_fds=False, preexec_fn=child_fds, start_new_session=True)
        finally:
            os.close(to_chrome_r)
            os.close(from_chrome_w)
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        buffer = b""
        while True:
            try:
                chunk = os.read(self.from_chrome, 1 << 16)
            except OSError:
                chunk = b""
            if not chunk:
                self.messages.put(None)
                return
            buffer += chunk
            while b"\0" in buffer:
                message, buffer = buffer.split(b"\0", 1)
                self.messages.put(json.loads(message))

    def send(self, method, params=None, session=None):
        """Sends a command; returns its id without waiting for the answer."""
        self.next_id += 1
        message = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        data = json.dumps(message).encode() + b"\0"
        while data:
            data = data[os.write(self.to_chrome, data):]
        return self.next_id

    def call(self, method, params=None, session=None, timeout=30):
        """Sends a command and waits for its answer, handling events meanwhile."""
        wanted = self.send(method, params, session)
        deadline = time.monotonic() + timeout
        while True:
            message = self._next(deadline - time.monotonic(), f"{method}: no answer within {timeout} s")
            if message.get("id") == wanted:
                if "error" in message:
                    raise BrowserError(f"{method}: {message['error'].get('message')}")
                return message.get("result", {})

    def pump(self, seconds):
        """Handles events for `seconds`."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                self._next(deadline - time.monotonic(), None)
            except TimeoutError:
                return

    def _next(self, remaining, timeout_message):
        try:
            message = self.messages.get(timeout=max(0.0, remaining))
        except queue.Empty:
            if timeout_message is None:
                raise TimeoutError
            raise BrowserError(timeout_message) from None
        if message is None:
            raise BrowserError("chromium exited: " + self.log_tail())
        handler = self.handlers.get((message.get("sessionId"), message.get("method")))
        if handler:
            handler(message.get("params", {}))
        return message

    def log_tail(self):
        self.log.flush()
        with open(self.log.name, "rb") as handle:
            return handle.read()[-2000:].decode(errors="replace").strip()

    def open_page(self, width, height, mobile=False):
        """A new tab of width × height CSS pixels (a phone-like viewport when mobile)."""
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        page = Page(self, session)
        page.call("Page.enable")
        page.call("Runtime.enable")
        page.call("Emulation.setDeviceMetricsOverride",
                  {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile})
        return page

    def close(self):
        try:  # an orderly exit first: helpers stop writing into the profile
            self.send("Browser.close")
            self.process.wait(timeout=5)
        except (OSError, subprocess.TimeoutExpired):
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        try:  # any helper left in Chromium's own process group (start_new_session)
            os.killpg(self.process.pid, signal.SIGKILL)
        except OSError:
            pass
        for fd in (self.to_chrome, self.from_chrome):
            try:
                os.close(fd)
            except OSError:
                pass
        self.log.close()
        for _ in range(10):  # a helper may still be writing its last file as it dies
            shutil.rmtree(self.profile, ignore_errors=True)
            if not os.path.exists(self.profile):
                break
            time.sleep(0.1)

    def __enter__(self):
        return self

    def __exit__(self, *_):
        self.close()


class Page:
    """One tab, through its flat-mode session."""

    def __init__(self, browser, session):
        self.browser = browser
        self.session = session
        self.api_key = None
        self.fail_data = False
        self.console = []
        browser.handlers[(session, "Fetch.requestPaused")] = self._paused
        browser.handlers[(session, "Runtime.exceptionThrown")] = self._exception
        browser.handlers[(session, "Runtime.consoleAPICalled")] = self._console

    def call(self, method, params=None, timeout=30):
        return self.browser.call(method, params, self.session, timeout)

    def _exception(self, params):
        details = params.get("exceptionDetails", {})
        self.console.append("exception: " + str(details.get("exception", {}).get("description") or details.get("text")))

    def _console(self, params):
        if params.get("type") in ("error", "warning", "assert"):
            text = " ".join(str(a.get("value", a.get("description", ""))) for a in params.get("args", []))
            self.console.append(f"{params['type']}: {text}")

    def _paused(self, params):
        request = params["request"]
        if self.fail_data and params.get("resourceType") != "Document":
            self.browser.send("Fetch.failRequest", {"requestId": params["requestId"], "errorReason": "ConnectionRefused"}, self.session)
            return
        headers = [{"name": k, "value": v} for k, v in request.get("headers", {}).items() if k.lower() != "authorization"]
        if self.api_key and params.get("resourceType") == "Document":
            # the navigation itself: a browser tab cannot add a header, the server may want one
            headers.append({"name": "Authorization", "value": "Bearer " + self.api_key})
        self.browser.send("Fetch.continueRequest", {"requestId": params["requestId"], "headers": headers}, self.session)

    def _intercept(self):
        patterns = []
        if self.api_key:
            patterns.append({"urlPattern": "*", "resourceType": "Document", "requestStage": "Request"})
        if self.fail_data:
            patterns.append({"urlPattern": "*/dashboard/data*", "requestStage": "Request"})
        if patterns:
            self.call("Fetch.enable", {"patterns": patterns})
        else:
            self.call("Fetch.disable")

    def navigate(self, base, api_key=None):
        """Opens base/dashboard; the key goes in the fragment, where the page reads it, and on the
        document request only (the page must send it on its own fetches)."""
        self.api_key = api_key
        self._intercept()
        url = base + "/dashboard" + ("#key=" + urllib.parse.quote(api_key, safe="") if api_key else "")
        result = self.call("Page.navigate", {"url": url})
        if result.get("errorText"):
            raise BrowserError(f"{base}/dashboard: {result['errorText']}")

    def stop_data(self):
        """From now on every request for /dashboard/data fails as if the server were gone."""
        self.fail_data = True
        self._intercept()

    def evaluate(self, expression):
        """The value of a JavaScript expression (JSON-serializable), in the page."""
        result = self.call("Runtime.evaluate", {"expression": expression, "returnByValue": True, "awaitPromise": True})
        if "exceptionDetails" in result:
            raise BrowserError(f"evaluate: {result['exceptionDetails'].get('exception', {}).get('description')}")
        return result["result"].get("value")

    def wait_for(self, predicate, timeout, every=0.25):
        """Polls a function of the page's state until it returns something true; returns that
        value, or raises BrowserError after `timeout` seconds. A predicate raising BrowserError
        (the page not loaded yet) counts as not ready."""
        deadline = time.monotonic() + timeout
        reason = ""
        while True:
            try:  # a page between documents cannot evaluate: not ready yet
                last, reason = predicate(), ""
            except BrowserError as error:
                last, reason = None, f" ({error})"
            if last:
                return last
            if time.monotonic() >= deadline:
                raise BrowserError(f"still not ready after {timeout} s{reason}")
            self.browser.pump(min(every, max(0.0, deadline - time.monotonic())))

    def screenshot(self):
        """The viewport as PNG bytes."""
        return base64.b64decode(self.call("Page.captureScreenshot", {"format": "png"})["data"])
