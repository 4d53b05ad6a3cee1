"""Where processes run: ``local`` runs them under supervisord on this machine."""
