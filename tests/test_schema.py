"""The event format: what it accepts, and one clear line for what it refuses."""

import json

import pytest

from tally.schema import Ballot, Election, EventError, dump_event, json_schema, parse_event


def test_a_header_with_defaults():
    e = parse_event('{"seq":1,"type":"election","id":"ldj5","title":"LDJ5"}')
    assert isinstance(e, Election) and e.choices == ("yes", "no") and e.yes_no


def test_timestamps_need_an_offset():
    e = parse_event('{"seq":2,"type":"ballot","choice":"yes","at":"2022-05-02T13:00:05-04:00"}')
    assert isinstance(e, Ballot) and e.at.utcoffset().total_seconds() == -4 * 3600
    with pytest.raises(EventError, match="timezone"):
        parse_event('{"seq":2,"type":"ballot","choice":"yes","at":"2022-05-02T13:00:05"}')


def test_round_trip():
    line = '{"seq":2,"type":"ballot","choice":"no","count":3}'
    assert json.loads(dump_event(parse_event(line))) == json.loads(line)


@pytest.mark.parametrize(
    "line,why",
    [
        ("{not json", "not JSON"),
        ("[1,2]", "not a JSON object"),
        ('{"seq":2,"type":"vote","choice":"yes"}', "unknown type 'vote'"),
        ('{"seq":2,"choice":"yes"}', 'missing field "type"'),
        ('{"seq":2,"type":"ballot","choice":"yes","colour":"red"}', "unknown field 'colour'"),
        ('{"seq":2,"type":"ballot"}', "missing field 'choice'"),
        ('{"seq":2,"type":"ballot","choice":"yes","count":0}', "count: at least 1"),
        ('{"seq":2,"type":"ballot","choice":"yes","count":"5"}', "count: Input should be a valid integer"),
        ('{"seq":2,"type":"ballot","choice":"yes","count":true}', "count"),
        ('{"seq":0,"type":"note","text":"x"}', "seq"),
        ('{"seq":2,"type":"election","id":"x","title":"t"}', "must be seq 1"),
        ('{"seq":1,"type":"election","id":"Bad Id","title":"t"}', "id"),
        ('{"seq":1,"type":"election","id":"x","title":"t","choices":["A","A","B"]}', "distinct"),
        ('{"seq":1,"type":"election","id":"x","title":"t","choices":["A","void","B"]}', "void"),
        ('{"seq":1,"type":"election","id":"x","title":"t","choices":["no","yes"]}', "in that order"),
        ('{"seq":1,"type":"election","id":"x","title":"t","choices":["yes"]}', "at least two"),
        ('{"seq":1,"type":"election","id":"x","title":"t","ballots":-1}', "ballots"),
        ('{"seq":3,"type":"note","text":""}', "text"),
    ],
)
def test_bad_events_get_one_line(line, why):
    with pytest.raises(EventError) as err:
        parse_event(line)
    message = str(err.value)
    assert why in message and "\n" not in message


def test_schema_is_generated_from_the_models():
    schema = json.loads(json_schema())
    assert set(schema["discriminator"]["mapping"]) == {
        "election", "ballot", "challenged", "retract", "note", "close",
        "checkpoint", "correct", "adjust"}
