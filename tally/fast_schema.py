"""The fast path's core schema, generated ahead of time from the models of tally/schema.py.

GENERATED: do not edit. After a change to tally/schema.py (or to pydantic), run
    python -c "from tally.schema import write_fast_schema; write_fast_schema()"
(tests/test_fast_schema.py fails until this is what pydantic builds from the models).

Why: pydantic takes ~50 ms to generate this from the models, at every launch of a
dashboard (the header check is its first use); pydantic-core builds the validator
from it in well under one. MADE_FROM digests tally/schema.py and pydantic's versions:
when they are not these, `tally.schema._fast_validator` has pydantic build the schema.
"""

from datetime import datetime, timezone

from tally.schema import Election, _offset_in_range

MADE_FROM = 'c3aab34ff704a846429ab743efb6a96e64c8c7e0e665786fe9e9ffe94271957c'

FAST_SCHEMA = {
    'type': 'list',
    'items_schema': {
        'type': 'tagged-union',
        'choices': {
            'election': {
                'type': 'function-after',
                'function': {
                    'type': 'no-info',
                    'function': Election._deauthorization_poll,
                },
                'schema': {
                    'type': 'function-after',
                    'function': {
                        'type': 'no-info',
                        'function': Election._header_is_first,
                    },
                    'schema': {
                        'type': 'model',
                        'cls': Election,
                        'schema': {
                            'type': 'model-fields',
                            'fields': {
                                'seq': {
                                    'type': 'model-field',
                                    'schema': {
                                        'type': 'int',
                                        'ge': 1,
                                        'le': 1000000000,
                                    },
                                },
                                'at': {
                                    'type': 'model-field',
                                    'schema': {
                                        'type': 'default',
                                        'schema': {
                                            'type': 'nullable',
                                            'schema': {
                                                'type': 'json-or-python',
                                                'json_schema': {
                                                    'type': 'chain',
                                                    'steps': [{
                                                        'type': 'str',
                                                        'pattern': '^\\d{4}-\\d\\d-\\d\\d[Tt ]\\d\\d:\\d\\d:\\d\\d(?:\\.\\d+)?(?:[Zz]|[+-](?:(?:0\\d|1[0-3]):[0-5]\\d|14:00))$',
                                                    }, {
                                                        'type': 'datetime',
                                                        'strict': False,
                                                        'le': datetime(9000, 12, 31, 23, 59, 59, tzinfo=timezone.utc),
                                                        'ge': datetime(1970, 1, 1, 0, 0, tzinfo=timezone.utc),
                                                        'tz_constraint': 'aware',
                                                        'microseconds_precision': 'truncate',
                                                    }],
                                                },
                                                'python_schema': {
                                                    'type': 'function-after',
                                                    'function': {
                                                        'type': 'no-info',
                                                        'function': _offset_in_range,
                                                    },
                                                    'schema': {
                                                        'type': 'datetime',
                                                        'le': datetime(9000, 12, 31, 23, 59, 59, tzinfo=timezone.utc),
                                                        'ge': datetime(1970, 1, 1, 0, 0, tzinfo=timezone.utc),
                                                        'tz_constraint': 'aware',
                                                        'microseconds_precision': 'truncate',
                                                    },
                                                },
                                            },
                                        },
                                        'default': None,
                                    },
                                },
                                'type': {
                                    'type': 'model-field',
                                    'schema': {
                                        'type': 'literal',
                                        'expected': ['election'],
                                    },
                                },
                                'id': {
                                    'type': 'model-field',
                                    'schema': {
                                        'type': 'str',
                                        'pattern': '^[a-z0-9][a-z0-9-]{0,63}$',
                                    },
                                },
                                'title': {
                                    'type': 'model-field',
                                    'schema': {
                                        'type': 'str',
                                        'min_length': 1,
                                        'max_length': 200,
                                    },
                                },
                                'choices': {
                                    'type': 'model-field',
                                    'schema': {
                                        'type': 'default',
                                        'schema': {
                                            'type': 'function-after',
                                            'function': {
                                                'type': 'no-info',
                                                'function': Election._choices_make_a_ballot,
                                            },
                                            'schema': {
                                                'type': 'tuple',
                                                'items_schema': [{
                                                    'type': 'str',
                                                    'min_length': 1,
                                                    'max_length': 100,
                                                }],
                                                'variadic_item_index': 0,
                                                'max_length': 12,
                                            },
                                        },
                                        'default': ('yes', 'no'),
                                    },
                                },
                                'union': {
                                    'type': 'model-field',
                                    'schema': {
                                        'type': 'default',
                                        'schema': {
                                            'type': 'nullable',
                                            'schema': {
                                                'type': 'str',
                                                'min_length': 1,
                                                'max_length': 200,
                                            },
                                        },
                                        'default': None,
                                    },
                                },
                                'eligible': {
                                    'type': 'model-field',
                                    'schema': {
                                        'type': 'default',
                                        'schema': {
                                            'type': 'nullable',
                                            'schema': {
                                                'type': 'int',
                                                'ge': 1,
                                                'le': 10000000,
                                            },
                                        },
                                        'default': None,
                                    },
                                },
                                'ballots': {
                                    'type': 'model-field',
                                    'schema': {
                                        'type': 'default',
                                        'schema': {
                                            'type': 'nullable',
                                            'schema': {
                                                'type': 'int',
                                                'ge': 0,
                                                'le': 10000000,
                                            },
                                        },
                                        'default': None,
                                    },
                                },
                                'case': {
                                    'type': 'model-field',
                                    'schema': {
                                        'type': 'default',
                                        'schema': {
                                            'type': 'nullable',
                                            'schema': {
                                                'type': 'str',
                                                'min_length': 1,
                                                'max_length': 200,
                                            },
                                        },
                                        'default': None,
                                    },
                                },
                                'location': {
                                    'type': 'model-field',
                                    'schema': {
                                        'type': 'default',
                                        'schema': {
                                            'type': 'nullable',
                                            'schema': {
                                                'type': 'str',
                                                'min_length': 1,
                                                'max_length': 200,
                                            },
                                        },
                                        'default': None,
                                    },
                                },
                                'office': {
                                    'type': 'model-field',
                                    'schema': {
                                        'type': 'default',
                                        'schema': {
                                            'type': 'nullable',
                                            'schema': {
                                                'type': 'str',
                                                'min_length': 1,
                                                'max_length': 200,
                                            },
                                        },
                                        'default': None,
                                    },
                                },
                                'rule': {
                                    'type': 'model-field',
                                    'schema': {
                                        'type': 'default',
                                        'schema': {
                                            'type': 'literal',
                                            'expected': ['representation', 'deauthorization'],
                                        },
                                        'default': 'representation',
                                    },
                                },
                            },
                            'model_name': 'Election',
                            'computed_fields': [],
                        },
                        'custom_init': False,
                        'root_model': False,
                        'config': {
                            'extra_fields_behavior': 'forbid',
                            'strict': True,
                            'title': 'Election',
                        },
                    },
                },
            },
            'ballot': {
                'type': 'typed-dict',
                'fields': {
                    'seq': {
                        'type': 'typed-dict-field',
                        'schema': {
                            'type': 'int',
                            'ge': 1,
                            'le': 1000000000,
                        },
                        'required': True,
                    },
                    'at': {
                        'type': 'typed-dict-field',
                        'schema': {
                            'type': 'nullable',
                            'schema': {
                                'type': 'json-or-python',
                                'json_schema': {
                                    'type': 'chain',
                                    'steps': [{
                                        'type': 'str',
                                        'pattern': '^\\d{4}-\\d\\d-\\d\\d[Tt ]\\d\\d:\\d\\d:\\d\\d(?:\\.\\d+)?(?:[Zz]|[+-](?:(?:0\\d|1[0-3]):[0-5]\\d|14:00))$',
                                    }, {
                                        'type': 'datetime',
                                        'strict': False,
                                        'le': datetime(9000, 12, 31, 23, 59, 59, tzinfo=timezone.utc),
                                        'ge': datetime(1970, 1, 1, 0, 0, tzinfo=timezone.utc),
                                        'tz_constraint': 'aware',
                                        'microseconds_precision': 'truncate',
                                    }],
                                },
                                'python_schema': {
                                    'type': 'function-after',
                                    'function': {
                                        'type': 'no-info',
                                        'function': _offset_in_range,
                                    },
                                    'schema': {
                                        'type': 'datetime',
                                        'le': datetime(9000, 12, 31, 23, 59, 59, tzinfo=timezone.utc),
                                        'ge': datetime(1970, 1, 1, 0, 0, tzinfo=timezone.utc),
                                        'tz_constraint': 'aware',
                                        'microseconds_precision': 'truncate',
                                    },
                                },
                            },
                        },
                        'required': False,
                    },
                    'type': {
                        'type': 'typed-dict-field',
                        'schema': {
                            'type': 'literal',
                            'expected': ['ballot'],
                        },
                        'required': True,
                    },
                    'choice': {
                        'type': 'typed-dict-field',
                        'schema': {
                            'type': 'str',
                            'min_length': 1,
                            'max_length': 100,
                        },
                        'required': True,
                    },
                    'count': {
                        'type': 'typed-dict-field',
                        'schema': {
                            'type': 'int',
                            'ge': 1,
                            'le': 10000000,
                        },
                        'required': False,
                    },
                    'heard': {
                        'type': 'typed-dict-field',
                        'schema': {
                            'type': 'nullable',
                            'schema': {
                                'type': 'float',
                                'ge': 0,
                                'le': 1,
                            },
                        },
                        'required': False,
                    },
                },
                'extra_behavior': 'forbid',
                'config': {
                    'extra_fields_behavior': 'forbid',
                    'strict': True,
                    'title': 'Ballot',
                },
            },
            'challenged': {
                'type': 'typed-dict',
                'fields': {
                    'seq': {
                        'type': 'typed-dict-field',
                        'schema': {
                            'type': 'int',
                            'ge': 1,
                            'le': 1000000000,
                        },
                        'required': True,
                    },
                    'at': {
                        'type': 'typed-dict-field',
                        'schema': {
                            'type': 'nullable',
                            'schema': {
                                'type': 'json-or-python',
                                'json_schema': {
                                    'type': 'chain',
                                    'steps': [{
                                        'type': 'str',
                                        'pattern': '^\\d{4}-\\d\\d-\\d\\d[Tt ]\\d\\d:\\d\\d:\\d\\d(?:\\.\\d+)?(?:[Zz]|[+-](?:(?:0\\d|1[0-3]):[0-5]\\d|14:00))$',
                                    }, {
                                        'type': 'datetime',
                                        'strict': False,
                                        'le': datetime(9000, 12, 31, 23, 59, 59, tzinfo=timezone.utc),
                                        'ge': datetime(1970, 1, 1, 0, 0, tzinfo=timezone.utc),
                                        'tz_constraint': 'aware',
                                        'microseconds_precision': 'truncate',
                                    }],
                                },
                                'python_schema': {
                                    'type': 'function-after',
                                    'function': {
                                        'type': 'no-info',
                                        'function': _offset_in_range,
                                    },
                                    'schema': {
                                        'type': 'datetime',
                                        'le': datetime(9000, 12, 31, 23, 59, 59, tzinfo=timezone.utc),
                                        'ge': datetime(1970, 1, 1, 0, 0, tzinfo=timezone.utc),
                                        'tz_constraint': 'aware',
                                        'microseconds_precision': 'truncate',
                                    },
                                },
                            },
                        },
                        'required': False,
                    },
                    'type': {
                        'type': 'typed-dict-field',
                        'schema': {
                            'type': 'literal',
                            'expected': ['challenged'],
                        },
                        'required': True,
                    },
                    'count': {
                        'type': 'typed-dict-field',
                        'schema': {
                            'type': 'int',
                            'ge': 1,
                            'le': 10000000,
                        },
                        'required': False,
                    },
                    'heard': {
                        'type': 'typed-dict-field',
                        'schema': {
                            'type': 'nullable',
                            'schema': {
                                'type': 'float',
                                'ge': 0,
                                'le': 1,
                            },
                        },
                        'required': False,
                    },
                },
                'extra_behavior': 'forbid',
                'config': {
                    'extra_fields_behavior': 'forbid',
                    'strict': True,
                    'title': 'Challenged',
                },
            },
            'retract': {
                'type': 'typed-dict',
                'fields': {
                    'seq': {
                        'type': 'typed-dict-field',
                        'schema': {
                            'type': 'int',
                            'ge': 1,
                            'le': 1000000000,
                        },
                        'required': True,
                    },
                    'at': {
                        'type': 'typed-dict-field',
                        'schema': {
                            'type': 'nullable',
                            'schema': {
                                'type': 'json-or-python',
                                'json_schema': {
                                    'type': 'chain',
                                    'steps': [{
                                        'type': 'str',
                                        'pattern': '^\\d{4}-\\d\\d-\\d\\d[Tt ]\\d\\d:\\d\\d:\\d\\d(?:\\.\\d+)?(?:[Zz]|[+-](?:(?:0\\d|1[0-3]):[0-5]\\d|14:00))$',
                                    }, {
                                        'type': 'datetime',
                                        'strict': False,
                                        'le': datetime(9000, 12, 31, 23, 59, 59, tzinfo=timezone.utc),
                                        'ge': datetime(1970, 1, 1, 0, 0, tzinfo=timezone.utc),
                                        'tz_constraint': 'aware',
                                        'microseconds_precision': 'truncate',
                                    }],
                                },
                                'python_schema': {
                                    'type': 'function-after',
                                    'function': {
                                        'type': 'no-info',
                                        'function': _offset_in_range,
                                    },
                                    'schema': {
                                        'type': 'datetime',
                                        'le': datetime(9000, 12, 31, 23, 59, 59, tzinfo=timezone.utc),
                                        'ge': datetime(1970, 1, 1, 0, 0, tzinfo=timezone.utc),
                                        'tz_constraint': 'aware',
                                        'microseconds_precision': 'truncate',
                                    },
                                },
                            },
                        },
                        'required': False,
                    },
                    'type': {
                        'type': 'typed-dict-field',
                        'schema': {
                            'type': 'literal',
                            'expected': ['retract'],
                        },
                        'required': True,
                    },
                    'target': {
                        'type': 'typed-dict-field',
                        'schema': {
                            'type': 'int',
                            'ge': 1,
                            'le': 1000000000,
                        },
                        'required': True,
                    },
                },
                'extra_behavior': 'forbid',
                'config': {
                    'extra_fields_behavior': 'forbid',
                    'strict': True,
                    'title': 'Retract',
                },
            },
            'note': {
                'type': 'typed-dict',
                'fields': {
                    'seq': {
                        'type': 'typed-dict-field',
                        'schema': {
                            'type': 'int',
                            'ge': 1,
                            'le': 1000000000,
                        },
                        'required': True,
                    },
                    'at': {
                        'type': 'typed-dict-field',
                        'schema': {
                            'type': 'nullable',
                            'schema': {
                                'type': 'json-or-python',
                                'json_schema': {
                                    'type': 'chain',
                                    'steps': [{
                                        'type': 'str',
                                        'pattern': '^\\d{4}-\\d\\d-\\d\\d[Tt ]\\d\\d:\\d\\d:\\d\\d(?:\\.\\d+)?(?:[Zz]|[+-](?:(?:0\\d|1[0-3]):[0-5]\\d|14:00))$',
                                    }, {
                                        'type': 'datetime',
                                        'strict': False,
                                        'le': datetime(9000, 12, 31, 23, 59, 59, tzinfo=timezone.utc),
                                        'ge': datetime(1970, 1, 1, 0, 0, tzinfo=timezone.utc),
                                        'tz_constraint': 'aware',
                                        'microseconds_precision': 'truncate',
                                    }],
                                },
                                'python_schema': {
                                    'type': 'function-after',
                                    'function': {
                                        'type': 'no-info',
                                        'function': _offset_in_range,
                                    },
                                    'schema': {
                                        'type': 'datetime',
                                        'le': datetime(9000, 12, 31, 23, 59, 59, tzinfo=timezone.utc),
                                        'ge': datetime(1970, 1, 1, 0, 0, tzinfo=timezone.utc),
                                        'tz_constraint': 'aware',
                                        'microseconds_precision': 'truncate',
                                    },
                                },
                            },
                        },
                        'required': False,
                    },
                    'type': {
                        'type': 'typed-dict-field',
                        'schema': {
                            'type': 'literal',
                            'expected': ['note'],
                        },
                        'required': True,
                    },
                    'text': {
                        'type': 'typed-dict-field',
                        'schema': {
                            'type': 'str',
                            'min_length': 1,
                            'max_length': 500,
                        },
                        'required': True,
                    },
                },
                'extra_behavior': 'forbid',
                'config': {
                    'extra_fields_behavior': 'forbid',
                    'strict': True,
                    'title': 'Note',
                },
            },
            'close': {
                'type': 'typed-dict',
                'fields': {
                    'seq': {
                        'type': 'typed-dict-field',
                        'schema': {
                            'type': 'int',
                            'ge': 1,
                            'le': 1000000000,
                        },
                        'required': True,
                    },
                    'at': {
                        'type': 'typed-dict-field',
                        'schema': {
                            'type': 'nullable',
                            'schema': {
                                'type': 'json-or-python',
                                'json_schema': {
                                    'type': 'chain',
                                    'steps': [{
                                        'type': 'str',
                                        'pattern': '^\\d{4}-\\d\\d-\\d\\d[Tt ]\\d\\d:\\d\\d:\\d\\d(?:\\.\\d+)?(?:[Zz]|[+-](?:(?:0\\d|1[0-3]):[0-5]\\d|14:00))$',
                                    }, {
                                        'type': 'datetime',
                                        'strict': False,
                                        'le': datetime(9000, 12, 31, 23, 59, 59, tzinfo=timezone.utc),
                                        'ge': datetime(1970, 1, 1, 0, 0, tzinfo=timezone.utc),
                                        'tz_constraint': 'aware',
                                        'microseconds_precision': 'truncate',
                                    }],
                                },
                                'python_schema': {
                                    'type': 'function-after',
                                    'function': {
                                        'type': 'no-info',
                                        'function': _offset_in_range,
                                    },
                                    'schema': {
                                        'type': 'datetime',
                                        'le': datetime(9000, 12, 31, 23, 59, 59, tzinfo=timezone.utc),
                                        'ge': datetime(1970, 1, 1, 0, 0, tzinfo=timezone.utc),
                                        'tz_constraint': 'aware',
                                        'microseconds_precision': 'truncate',
                                    },
                                },
                            },
                        },
                        'required': False,
                    },
                    'type': {
                        'type': 'typed-dict-field',
                        'schema': {
                            'type': 'literal',
                            'expected': ['close'],
                        },
                        'required': True,
                    },
                },
                'extra_behavior': 'forbid',
                'config': {
                    'extra_fields_behavior': 'forbid',
                    'strict': True,
                    'title': 'Close',
                },
            },
            'checkpoint': {
                'type': 'typed-dict',
                'fields': {
                    'seq': {
                        'type': 'typed-dict-field',
                        'schema': {
                            'type': 'int',
                            'ge': 1,
                            'le': 1000000000,
                        },
                        'required': True,
                    },
                    'at': {
                        'type': 'typed-dict-field',
                        'schema': {
                            'type': 'nullable',
                            'schema': {
                                'type': 'json-or-python',
                                'json_schema': {
                                    'type': 'chain',
                                    'steps': [{
                                        'type': 'str',
                                        'pattern': '^\\d{4}-\\d\\d-\\d\\d[Tt ]\\d\\d:\\d\\d:\\d\\d(?:\\.\\d+)?(?:[Zz]|[+-](?:(?:0\\d|1[0-3]):[0-5]\\d|14:00))$',
                                    }, {
                                        'type': 'datetime',
                                        'strict': False,
                                        'le': datetime(9000, 12, 31, 23, 59, 59, tzinfo=timezone.utc),
                                        'ge': datetime(1970, 1, 1, 0, 0, tzinfo=timezone.utc),
                                        'tz_constraint': 'aware',
                                        'microseconds_precision': 'truncate',
                                    }],
                                },
                                'python_schema': {
                                    'type': 'function-after',
                                    'function': {
                                        'type': 'no-info',
                                        'function': _offset_in_range,
                                    },
                                    'schema': {
                                        'type': 'datetime',
                                        'le': datetime(9000, 12, 31, 23, 59, 59, tzinfo=timezone.utc),
                                        'ge': datetime(1970, 1, 1, 0, 0, tzinfo=timezone.utc),
                                        'tz_constraint': 'aware',
                                        'microseconds_precision': 'truncate',
                                    },
                                },
                            },
                        },
                        'required': False,
                    },
                    'type': {
                        'type': 'typed-dict-field',
                        'schema': {
                            'type': 'literal',
                            'expected': ['checkpoint'],
                        },
                        'required': True,
                    },
                    'votes': {
                        'type': 'typed-dict-field',
                        'schema': {
                            'type': 'dict',
                            'keys_schema': {
                                'type': 'str',
                                'min_length': 1,
                                'max_length': 100,
                            },
                            'values_schema': {
                                'type': 'int',
                                'ge': 0,
                                'le': 10000000,
                            },
                            'max_length': 12,
                        },
                        'required': True,
                    },
                    'void': {
                        'type': 'typed-dict-field',
                        'schema': {
                            'type': 'nullable',
                            'schema': {
                                'type': 'int',
                                'ge': 0,
                                'le': 10000000,
                            },
                        },
                        'required': False,
                    },
                    'challenged': {
                        'type': 'typed-dict-field',
                        'schema': {
                            'type': 'nullable',
                            'schema': {
                                'type': 'int',
                                'ge': 0,
                                'le': 10000000,
                            },
                        },
                        'required': False,
                    },
                    'text': {
                        'type': 'typed-dict-field',
                        'schema': {
                            'type': 'nullable',
                            'schema': {
                                'type': 'str',
                                'min_length': 1,
                                'max_length': 500,
                            },
                        },
                        'required': False,
                    },
                },
                'extra_behavior': 'forbid',
                'config': {
                    'extra_fields_behavior': 'forbid',
                    'strict': True,
                    'title': 'Checkpoint',
                },
            },
            'correct': {
                'type': 'typed-dict',
                'fields': {
                    'seq': {
                        'type': 'typed-dict-field',
                        'schema': {
                            'type': 'int',
                            'ge': 1,
                            'le': 1000000000,
                        },
                        'required': True,
                    },
                    'at': {
                        'type': 'typed-dict-field',
                        'schema': {
                            'type': 'nullable',
                            'schema': {
                                'type': 'json-or-python',
                                'json_schema': {
                                    'type': 'chain',
                                    'steps': [{
                                        'type': 'str',
                                        'pattern': '^\\d{4}-\\d\\d-\\d\\d[Tt ]\\d\\d:\\d\\d:\\d\\d(?:\\.\\d+)?(?:[Zz]|[+-](?:(?:0\\d|1[0-3]):[0-5]\\d|14:00))$',
                                    }, {
                                        'type': 'datetime',
                                        'strict': False,
                                        'le': datetime(9000, 12, 31, 23, 59, 59, tzinfo=timezone.utc),
                                        'ge': datetime(1970, 1, 1, 0, 0, tzinfo=timezone.utc),
                                        'tz_constraint': 'aware',
                                        'microseconds_precision': 'truncate',
                                    }],
                                },
                                'python_schema': {
                                    'type': 'function-after',
                                    'function': {
                                        'type': 'no-info',
                                        'function': _offset_in_range,
                                    },
                                    'schema': {
                                        'type': 'datetime',
                                        'le': datetime(9000, 12, 31, 23, 59, 59, tzinfo=timezone.utc),
                                        'ge': datetime(1970, 1, 1, 0, 0, tzinfo=timezone.utc),
                                        'tz_constraint': 'aware',
                                        'microseconds_precision': 'truncate',
                                    },
                                },
                            },
                        },
                        'required': False,
                    },
                    'type': {
                        'type': 'typed-dict-field',
                        'schema': {
                            'type': 'literal',
                            'expected': ['correct'],
                        },
                        'required': True,
                    },
                    'target': {
                        'type': 'typed-dict-field',
                        'schema': {
                            'type': 'int',
                            'ge': 1,
                            'le': 1000000000,
                        },
                        'required': True,
                    },
                    'choice': {
                        'type': 'typed-dict-field',
                        'schema': {
                            'type': 'str',
                            'min_length': 1,
                            'max_length': 100,
                        },
                        'required': True,
                    },
                },
                'extra_behavior': 'forbid',
                'config': {
                    'extra_fields_behavior': 'forbid',
                    'strict': True,
                    'title': 'Correct',
                },
            },
            'adjust': {
                'type': 'typed-dict',
                'fields': {
                    'seq': {
                        'type': 'typed-dict-field',
                        'schema': {
                            'type': 'int',
                            'ge': 1,
                            'le': 1000000000,
                        },
                        'required': True,
                    },
                    'at': {
                        'type': 'typed-dict-field',
                        'schema': {
                            'type': 'nullable',
                            'schema': {
                                'type': 'json-or-python',
                                'json_schema': {
                                    'type': 'chain',
                                    'steps': [{
                                        'type': 'str',
                                        'pattern': '^\\d{4}-\\d\\d-\\d\\d[Tt ]\\d\\d:\\d\\d:\\d\\d(?:\\.\\d+)?(?:[Zz]|[+-](?:(?:0\\d|1[0-3]):[0-5]\\d|14:00))$',
                                    }, {
                                        'type': 'datetime',
                                        'strict': False,
                                        'le': datetime(9000, 12, 31, 23, 59, 59, tzinfo=timezone.utc),
                                        'ge': datetime(1970, 1, 1, 0, 0, tzinfo=timezone.utc),
                                        'tz_constraint': 'aware',
                                        'microseconds_precision': 'truncate',
                                    }],
                                },
                                'python_schema': {
                                    'type': 'function-after',
                                    'function': {
                                        'type': 'no-info',
                                        'function': _offset_in_range,
                                    },
                                    'schema': {
                                        'type': 'datetime',
                                        'le': datetime(9000, 12, 31, 23, 59, 59, tzinfo=timezone.utc),
                                        'ge': datetime(1970, 1, 1, 0, 0, tzinfo=timezone.utc),
                                        'tz_constraint': 'aware',
                                        'microseconds_precision': 'truncate',
                                    },
                                },
                            },
                        },
                        'required': False,
                    },
                    'type': {
                        'type': 'typed-dict-field',
                        'schema': {
                            'type': 'literal',
                            'expected': ['adjust'],
                        },
                        'required': True,
                    },
                    'checkpoint': {
                        'type': 'typed-dict-field',
                        'schema': {
                            'type': 'int',
                            'ge': 1,
                            'le': 1000000000,
                        },
                        'required': True,
                    },
                },
                'extra_behavior': 'forbid',
                'config': {
                    'extra_fields_behavior': 'forbid',
                    'strict': True,
                    'title': 'Adjust',
                },
            },
        },
        'discriminator': 'type',
        'strict': False,
        'from_attributes': True,
    },
}
