"""The chat side: what people do in Telegram, and who may do it.

- `subscriber`: the subscriber command handlers (`Commands`); `filters`, `setting_commands`
  (`/settings`, `/set`) and `transfer` (`/export`, `/import`) beside them
- `admin`: the bot admins' commands; `reports`: the figures and errors they read
- `catalogue`: every command name with its one-line help (for /help and the menu)
- `targets`: which feed an update is about; `permissions`: who may change it
- `guard`: each update once, and a flood slowed down; `membership`: the bot's own place in chats
- `keyboards`, `replies`, `languages`, `setting_values`: the buttons, answers, language and
  setting words the commands share
- `connection`: the link to Telegram (start-up retries, whether polling works)
"""
