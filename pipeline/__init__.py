"""CLIPER's pipeline: plain Python, no Django. One module per stage; see stages.STAGES."""
