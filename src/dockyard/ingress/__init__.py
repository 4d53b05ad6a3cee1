"""Public mode: domains, ACME certificates and their renewal (docs/design.md "Public mode").

``names`` says which certificates the apps need, ``acme`` gets one from the CA, ``challenges``
answers the CA (HTTP-01 through HAProxy, DNS-01 through a hook), ``manager`` keeps them all
fresh and ``state`` records each domain's phase for the API. HAProxy's side (config, the
runtime API) stays in ``dockyard.router``.
"""
