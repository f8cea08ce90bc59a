"""Probes: baseline families on raw activations, and the SAE probe on SAE latents.

Every probe is a scikit-learn estimator (``__init__`` stores hyper-parameters, ``fit`` returns
self, learned state ends in ``_``, ``predict_proba``); a family pairs an estimator with the
candidate grid the protocol defines for it.
"""
