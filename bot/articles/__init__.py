"""The article side: from files in the articles folder to articles in the outbox.

`folder_events` turns watchdog's events into values (`observing` runs the observer);
`watcher` decides when each file is read (`half_written` waits out a file still being
written); `reading` loads a file and `parsing` (with `strict_yaml`) makes it an `Article`;
`ingest` stores it through `writer`, the writer thread; `reconcile` compares the folder
with the database (scans, `newsbot ingest`).
"""
