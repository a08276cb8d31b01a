"""Bridges to the labeling tools people already use (Label Studio's ML backend protocol).

Applications, like the labeling server: they build on the store and the server's
project loop; the core never imports them.
"""
