"""glance-rest: a JSON API over OpenStack Glance for dashboards and scripts."""
