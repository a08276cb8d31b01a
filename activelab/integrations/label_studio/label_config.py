"""Which labeling interface a Label Studio project's XML label config describes.

activelab reads one control tag over one ``Text`` object: ``Choices`` (one choice:
classification; ``choice="multiple"``: multi-label) or ``Labels`` (spans of the text).

>>> xml = '''<View><Text name="text" value="$review"/>
...   <Choices name="sentiment" toName="text"><Choice value="pos"/><Choice value="neg"/></Choices>
... </View>'''
>>> parse_label_config(xml)
Interface(kind='classification', from_name='sentiment', to_name='text', data_key='review', labels=('pos', 'neg'))
>>> parse_label_config('<View><Image name="img" value="$image"/>'
...     '<RectangleLabels name="box" toName="img"><Label value="car"/></RectangleLabels></View>')
Traceback (most recent call last):
...
activelab.errors.ActiveLabError: the label config uses <RectangleLabels name="box">, which activelab ml-backend does not support; it supports <Choices> (one or multiple choice) and <Labels> over a <Text> object
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass

from ...errors import ActiveLabError

__all__ = ["KINDS", "Interface", "parse_label_config"]

#: What a project asks annotators for: one choice, any choices, or spans of the text.
KINDS = ("classification", "multilabel", "spans")

_SUPPORTED = ("the label config uses <{tag} name=\"{name}\">, which activelab ml-backend does "
              "not support; it supports <Choices> (one or multiple choice) and <Labels> over "
              "a <Text> object")


@dataclass(frozen=True)
class Interface:
    """One control (``from_name``) over one ``Text`` object (``to_name``) whose text is the
    task's ``data[data_key]``; ``labels`` in the config's order."""

    kind: str
    from_name: str
    to_name: str
    data_key: str
    labels: tuple[str, ...]

    @property
    def result_type(self) -> str:
        """The ``type`` of a result item in Label Studio's JSON."""
        return "labels" if self.kind == "spans" else "choices"


def parse_label_config(xml: str) -> Interface:
    """The :class:`Interface` of ``xml``; a clear error for anything else."""
    if not isinstance(xml, str) or not xml.strip():
        raise ActiveLabError("the project has no label config; set one in Label Studio first")
    try:
        root = ET.fromstring(xml)
    except ET.ParseError as err:
        raise ActiveLabError(f"the label config is not valid XML: {err}") from None
    controls = [el for el in root.iter() if "toName" in el.attrib]
    if not controls:
        raise ActiveLabError("the label config has no control tag (Choices or Labels with "
                             "toName=...); nothing to predict")
    for control in controls:
        if control.tag not in ("Choices", "Labels"):
            raise ActiveLabError(_SUPPORTED.format(tag=control.tag,
                                                   name=control.get("name", "")))
    if len(controls) > 1:
        names = ", ".join(f"<{c.tag} name=\"{c.get('name', '')}\">" for c in controls)
        raise ActiveLabError(f"the label config has {len(controls)} controls ({names}); "
                             "activelab ml-backend predicts one: keep one Choices or Labels")
    control = controls[0]
    to_name = control.attrib["toName"]
    target = next((el for el in root.iter() if el.get("name") == to_name
                   and "toName" not in el.attrib), None)
    if target is None:
        raise ActiveLabError(f"<{control.tag} name=\"{control.get('name', '')}\"> points at "
                             f"toName={to_name!r}, which no tag of the config is named")
    if target.tag != "Text":
        raise ActiveLabError(_SUPPORTED.format(tag=target.tag, name=to_name))
    value = target.get("value", "")
    if not value.startswith("$") or len(value) < 2:
        raise ActiveLabError(f"<Text name=\"{to_name}\"> needs value=\"$field\" naming the "
                             f"task's text field; got {value!r}")
    option_tag = "Choice" if control.tag == "Choices" else "Label"
    labels = tuple(el.get("value") or el.get("alias") or "" for el in control.iter(option_tag))
    if len(labels) < (2 if control.tag == "Choices" else 1) or not all(labels):
        raise ActiveLabError(f"<{control.tag} name=\"{control.get('name', '')}\"> needs at "
                             f"least {2 if control.tag == 'Choices' else 1} <{option_tag} "
                             "value=...> options")
    if len(set(labels)) != len(labels):
        raise ActiveLabError(f"<{control.tag}> has an option twice: {', '.join(labels)}")
    if control.tag == "Labels":
        kind = "spans"
    else:
        kind = "multilabel" if control.get("choice") == "multiple" else "classification"
    return Interface(kind, control.get("name", ""), to_name, value[1:], labels)
