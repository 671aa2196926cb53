"""The article side: from files in the watched folder to stored articles and queued pushes.

`folder_events` turns watchdog's events into values on the observer thread (`observing`);
`watcher` handles them and the scans on the loop (`half_written`: a file still being
written); `reading` reads a file by the folder's rules and `parsing` (with `strict_yaml`)
makes it an `Article`; `ingest` stores it through the `writer` thread, which queues its
pushes in the outbox; `reconcile` is one pass of the folder against the database.
"""
