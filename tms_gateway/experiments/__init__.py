"""Price and presentation experiments on a shop's delivery options.

A shop (or partner staff for it) defines an experiment: two or more variants, each changing
the price, name, sort order or preselection of some options, and the share of checkouts each
gets. While it runs, every Klarna session is assigned a variant (assign.py, stable per session),
the options are built with the variant's changes (apply.py), and the checkout events carry the
assignment; results.py compares the variants' conversion and shipping revenue.
"""
