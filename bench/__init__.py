"""The benchmark of ``bench/README.md``: a farm of feeds on 127.0.0.1 and the passes over it."""
