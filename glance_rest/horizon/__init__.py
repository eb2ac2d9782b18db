"""glance-rest mounted inside a Horizon: see ``urls`` (the one URLconf a
Horizon deployment names) and ``auth`` (Horizon's login as this API's login)."""
