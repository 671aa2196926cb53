"""The `newsbot` command: `main` parses and dispatches; each verb lives in its module
(`inspection`: check, preview, stats, errors; `ingest`; `database`; `dryrun`)."""
