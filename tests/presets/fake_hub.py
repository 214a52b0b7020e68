"""A local stand-in for the Hugging Face Hub, serving the routes huggingface_hub uses to download.

Routes (see shared/spec/platform.md):
- HEAD/GET /{org}/{name}/resolve/{revision}/{path}: 200 with X-Repo-Commit, ETag and
  Content-Length; 404 with X-Error-Code EntryNotFound (missing file) or RepoNotFound.
- GET /api/models/{org}/{name}/revision/{revision}: {"sha": commit, "siblings": [...]}.
- GET /api/models/{org}/{name}/tree/{sha}?recursive=true&expand=false: the file list.
- GET /__mark__/{label}: lets a client delimit its requests in the server's log.

Files listed in `drop` (as "org/name/path") are served with their full Content-Length but the
connection is closed after half the body (and at once on resumed requests), as
a dropped network connection would.
"""

import hashlib
import http.server
import json
import threading
import urllib.parse


class FakeHub:
    """Serves `repos` = {"org/name": {path: bytes}} on 127.0.0.1 in a thread."""

    def __init__(self, repos, drop=()):
        self.repos = repos
        self.drop = set(drop)
        self.log = []  # (method, path) of every request, marks included.
        handler = type("Handler", (_Handler,), {"hub": self})
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def endpoint(self):
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    @staticmethod
    def commit(repo_id):
        return hashlib.sha1(repo_id.encode()).hexdigest()

    def requests_between(self, start_label, end_label=None):
        """Requests logged after mark `start_label` (and before `end_label`)."""
        marks = [i for i, (m, p) in enumerate(self.log) if p.startswith("/__mark__/")]
        labels = {self.log[i][1].rsplit("/", 1)[1]: i for i in marks}
        start = labels[start_label] + 1
        end = labels[end_label] if end_label else len(self.log)
        return [r for r in self.log[start:end] if not r[1].startswith("/__mark__/")]

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


class _Handler(http.server.BaseHTTPRequestHandler):
    hub = None
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):  # keep pytest output clean
        pass

    def do_HEAD(self):
        self._route(body=False)

    def do_GET(self):
        self._route(body=True)

    def _route(self, body):
        url = urllib.parse.urlsplit(self.path)
        path = urllib.parse.unquote(url.path)
        self.hub.log.append((self.command, path))
        parts = path.strip("/").split("/")
        if parts[0] == "__mark__":
            return self._json({})
        if parts[:2] == ["api", "models"] and len(parts) >= 6:
            return self._api(parts[2] + "/" + parts[3], parts[4], parts[5])
        if len(parts) >= 5 and parts[2] == "resolve":
            return self._resolve(parts[0] + "/" + parts[1], "/".join(parts[4:]), body)
        self._error(404, "RepoNotFound", None)

    def _api(self, repo_id, kind, revision):
        files = self.hub.repos.get(repo_id)
        if files is None:
            return self._error(404, "RepoNotFound", None)
        commit = self.hub.commit(repo_id)
        if kind == "revision":
            siblings = [{"rfilename": p} for p in sorted(files)]
            return self._json({"id": repo_id, "sha": commit, "siblings": siblings})
        if kind == "tree":
            tree = [
                {"type": "file", "path": p, "size": len(d), "oid": hashlib.sha1(d).hexdigest()}
                for p, d in sorted(files.items())
            ]
            return self._json(tree)
        self._error(404, "EntryNotFound", commit)

    def _resolve(self, repo_id, filename, body):
        files = self.hub.repos.get(repo_id)
        if files is None:
            return self._error(404, "RepoNotFound", None)
        commit = self.hub.commit(repo_id)
        if filename not in files:
            return self._error(404, "EntryNotFound", commit)
        data = files[filename]
        resumed = "Range" in self.headers
        self.send_response(200)
        self.send_header("X-Repo-Commit", commit)
        self.send_header("ETag", f'"{hashlib.sha256(data).hexdigest()}"')
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Content-Type", "application/octet-stream")
        self.end_headers()
        if not body:
            return
        if f"{repo_id}/{filename}" in self.hub.drop:
            # Half the body on the first request, nothing on a resumed one, then hang up.
            if not resumed:
                self.wfile.write(data[: len(data) // 2])
                self.wfile.flush()
            self.close_connection = True
            self.connection.shutdown(2)
            return
        self.wfile.write(data)

    def _json(self, payload):
        data = json.dumps(payload).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def _error(self, status, code, commit):
        data = json.dumps({"error": code}).encode()
        self.send_response(status)
        self.send_header("X-Error-Code", code)
        self.send_header("X-Error-Message", code)
        if commit:
            self.send_header("X-Repo-Commit", commit)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)
