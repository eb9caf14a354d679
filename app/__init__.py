"""党建e家 (ejia): the community party-building alliance platform."""
