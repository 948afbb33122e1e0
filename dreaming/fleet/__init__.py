"""Many agents' stores beyond one machine: stores and inboxes in object storage, shards on Kubernetes.

* ``objects``: the object-storage edge (any S3-compatible service through boto3):
  ``s3://bucket/key`` URLs, listing by glob, downloads, and uploads conditional
  on the ETag downloaded (``If-Match``) or on absence (``If-None-Match: *``).
* ``remote``: a store at an ``s3://`` URL is downloaded, worked on locally and
  uploaded back only if nobody wrote it meanwhile; a lost race starts again
  from a fresh download.  Transcript inboxes at ``s3://`` URLs are read
  incrementally (objects already ingested are not downloaded again).
* ``shards``: pure: which stores a shard takes (a stable hash modulo the
  number of shards), the per-shard summary record and the fleet's merged view.
* ``runner``: one shard's night: its stores one after another, in this process,
  then its summary object.

boto3 is an optional dependency (``pip install 'dreaming[s3]'``): it is
imported only when an ``s3://`` URL is used.
"""
