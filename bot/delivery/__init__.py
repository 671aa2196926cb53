"""The send side: from the outbox to messages in chats.

`sender` works through the outbox, paced by `pacing`; `posting` turns a row into its
request (`rendering` the article, `digesting` the held ones, by `schedule`), replying to
an earlier message of the story where `story_threads` finds one; `outcomes` and
`settlements` write what Telegram answered (`refusals` reads its 400s); `following` edits
and retracts sent messages, and `shown_messages` keeps what each one shows for the next
edit; `fanouts` logs each article's fan-out; `pruning` keeps the outbox small.
"""
