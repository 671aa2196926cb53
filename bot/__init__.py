"""newsbot: pushes new article files to the Telegram chats that follow their topics."""

__version__ = "0.1.0"
