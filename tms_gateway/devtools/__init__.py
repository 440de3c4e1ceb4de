"""Developer tools that are not part of the served application (the benchmark: ``make bench``)."""
