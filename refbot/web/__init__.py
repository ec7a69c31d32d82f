"""refbot's HTTP side: the WhatsApp webhook, health, and (later) the librarian console."""
