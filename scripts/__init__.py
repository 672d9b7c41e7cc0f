"""Developer tools that are not the product: benchmarks, tuning, the demo script."""
