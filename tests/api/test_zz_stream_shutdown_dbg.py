import time
def test_dbg(server):
    with server.client().stream(read_timeout=30) as events:
        t = time.monotonic()
        server.thread.stop()
        print("STOP took", round(time.monotonic() - t, 2), "alive", server.thread.thread.is_alive())
