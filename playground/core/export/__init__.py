"""A model file as one readable PyTorch script: ``script`` renders it from ``template`` and a data kind's
part (``series``, ``quotes``, or the template's own).
"""

from playground.core.export.script import export_script, render

__all__ = ["export_script", "render"]
