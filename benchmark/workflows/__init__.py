"""One function per user journey (extract, baselines, submit, validate, evaluate, train the
reference suite, list and export datasets). Each takes a typed, immutable options object; the
command line only builds that object, calls the function and prints what it returns."""
