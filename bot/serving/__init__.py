"""How the bot meets Telegram: polling (``runner``), webhooks (``webhook``), HTTP (``http``)."""
