"""The article side: from files in the folder to stored articles (and queued pushes).

folder events -> `observing` (watchdog) -> `watcher` -> `reading` and `parsing` (with
`strict_yaml`) in `ingest` -> `writer` (the store's own thread); `reconcile` brings the
database in step with the folder at start and on each scan; `half_written` tells a file
still being written from a bad one.
"""
