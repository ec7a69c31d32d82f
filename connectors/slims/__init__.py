"""SLiMS (Senayan): circulation read from its MySQL/MariaDB database."""
