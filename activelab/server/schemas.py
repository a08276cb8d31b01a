"""The JSON API's request and response bodies; they make the OpenAPI schema."""

from typing import Annotated

from pydantic import BaseModel, Field

from ..store.store import LeasedItem

__all__ = ["AnnotationIn", "AnswerOut", "Health", "ImportOut", "ItemId", "ItemOut",
           "ResolveIn", "RetrainOut", "SkipIn", "UndoOut", "UserIn", "UserOut", "item_out"]

#: Ids are 32-bit integers in both databases; larger ones are refused by validation (422).
ItemId = Annotated[int, Field(ge=1, le=2**31 - 1)]


class ItemOut(BaseModel):
    item_id: int
    external_id: str
    content: str
    lease_id: str
    expires_at: str = Field(description="When the lease ends (ISO 8601, UTC)")
    reason: str = Field(description="Why this item: strategy, diversity, exploration, undo")
    guess: str | None = Field(default=None, description="The current model's answer for "
                              "this item (an answer value), or null: no model, or guesses off")
    guess_confidence: float | None = Field(default=None, description="The model's "
                                           "probability of its guess, 0..1")


#: An answer of the project's task type: a label; a list of labels (multi); a number
#: (rating); a list of ``[start, end, label]`` (spans); or the stored string of any of them.
AnswerValue = Annotated[str, Field(max_length=100_000)] | float | list[str] | \
    list[tuple[int, int, str]]


class AnnotationIn(BaseModel):
    item_id: ItemId
    label: AnswerValue
    lease_id: str | None = Field(default=None, max_length=36)
    rationale: str | None = Field(default=None, max_length=2000)


class SkipIn(BaseModel):
    item_id: ItemId
    lease_id: str | None = Field(default=None, max_length=36)


class ResolveIn(BaseModel):
    item_id: ItemId
    label: AnswerValue


class AnswerOut(BaseModel):
    event_id: int
    kind: str
    item_id: int
    external_id: str
    label: str | None
    model_version: int | None
    replayed: bool = Field(description="True when an Idempotency-Key repeated an earlier request")
    guess: str | None = Field(default=None, description="The model's guess your lease showed")
    guess_accepted: bool | None = Field(default=None, description="Whether the answer took "
                                        "the guess (null when none was shown)")


class UndoOut(BaseModel):
    retracted_event_id: int
    retract_event_id: int
    kind: str
    label: str | None
    item: ItemOut


class UserIn(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    role: str = Field(pattern="^(admin|annotator|reviewer)$")


class UserOut(BaseModel):
    name: str
    role: str
    token: str = Field(description="Shown once; only its hash is stored")


class Health(BaseModel):
    status: str
    database: str
    projects: list[str]


class RetrainOut(BaseModel):
    status: str


class ImportOut(BaseModel):
    project: str
    imported: int = Field(description="Items added by this upload")
    n_items: int = Field(description="Items in the project now")
    retrain: str | None = Field(description="The retrain that will rank the new items "
                                "(started, pending, already pending), or null without a model")


def item_out(leased: LeasedItem) -> ItemOut:
    return ItemOut(**leased.to_json())
