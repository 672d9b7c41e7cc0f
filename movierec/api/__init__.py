"""DRF plumbing shared by every app's API: the one error format, pagination, conditional GETs, the JSON parser."""
