"""Many documents: read inputs, write every output format and table, checkpoint and resume, run in
N processes or on a Dask cluster.
"""
