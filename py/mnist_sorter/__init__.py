"""MNIST Sorter: a from-scratch numpy multilayer perceptron for handwritten digits.

The same modules run natively (command line, tests, benchmarks) and in the
browser under Pyodide. Nothing here imports browser APIs.
"""

__version__ = "0.1.0"
