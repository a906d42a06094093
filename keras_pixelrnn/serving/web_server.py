"""A local static server for the web export, cross-origin isolated.

ONNX Runtime Web runs several threads only in a cross-origin-isolated page
(it needs `SharedArrayBuffer`), which takes two response headers:

    Cross-Origin-Opener-Policy: same-origin
    Cross-Origin-Embedder-Policy: require-corp

`web_server(folder, port)` is Python's `http.server` with those headers,
on 127.0.0.1 only, with the MIME types the page needs (`.mjs`, `.wasm`,
`.onnx`) and no caching (a re-export is seen at once). Any static server
that sends the two headers serves the site as well; one that does not gives
a page that runs one thread.

    keras-pixelrnn serve-web site --port 8000
"""

import functools
import http.server

from keras_pixelrnn.utils import arguments

ISOLATION_HEADERS = {
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Embedder-Policy": "require-corp",
    "Cross-Origin-Resource-Policy": "same-origin",
}


class IsolatedHandler(http.server.SimpleHTTPRequestHandler):
    """Static files with the COOP/COEP headers, quiet unless `verbose`."""

    extensions_map = dict(
        http.server.SimpleHTTPRequestHandler.extensions_map,
        **{".mjs": "text/javascript", ".js": "text/javascript", ".wasm": "application/wasm",
           ".onnx": "application/octet-stream", ".json": "application/json"},
    )

    def __init__(self, *args, verbose=False, isolated=True, **kwargs):
        self.verbose, self.isolated = verbose, isolated
        super().__init__(*args, **kwargs)

    def end_headers(self):
        if self.isolated:
            for name, value in ISOLATION_HEADERS.items():
                self.send_header(name, value)
        self.send_header("Cache-Control", "no-store")
        super().end_headers()

    def log_message(self, format, *args):
        if self.verbose:
            super().log_message(format, *args)


def web_server(folder, port=8000, verbose=False, isolated=True):
    """An `http.server.ThreadingHTTPServer` serving `folder` on 127.0.0.1.

    Args:
        folder: the site (`write_web`'s folder).
        port: 0 to 65535; 0 picks a free port (read it from
            `server.server_address[1]`).
        verbose: log every request to stderr.
        isolated: send the COOP/COEP headers (default); False serves the
            site as a plain server would (the page then runs one thread).

    Call `serve_forever()` on it (in a thread, for tests) and
    `server_close()` after `shutdown()`.
    """
    port = arguments.integer("port", port, minimum=0, maximum=65535)
    handler = functools.partial(IsolatedHandler, directory=str(folder), verbose=verbose,
                                isolated=isolated)
    return http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
