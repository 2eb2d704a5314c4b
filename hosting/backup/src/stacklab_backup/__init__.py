"""stacklab-backup: one archive format for the lab's data, made and restored on compose and on servers."""
