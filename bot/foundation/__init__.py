"""What every room stands on: settings, errors, words, logs, figures, health, memory.

Imports no feature room (articles, delivery, chat, cli).
"""
