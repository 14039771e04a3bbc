"""What CloudFormation refuses in a template before it creates anything, so that the simulated deploy
refuses it too (cfn-lint 1.58 and ``sam validate --lint`` pass some of it: they are no substitute).

Every check names the document it follows (AWS CloudFormation User Guide, 2023 edition, and the
Template Reference):

- quotas ("AWS CloudFormation quotas", cloudformation-limits.html): the template body (51,200 bytes
  in a request, 1 MB from S3, which is how ``sam deploy`` sends it), 200 parameters, 500 resources,
  200 outputs, 200 mappings of 200 attributes, logical IDs and names of 255 characters, a template
  description of 1,024 bytes (template-description-structure.html);
- logical IDs alphanumeric and unique (resources-section-structure.html, outputs-section-structure.html,
  parameters-section-structure.html);
- which functions each section accepts: Conditions (conditions-section-structure.html,
  intrinsic-function-reference-conditions.html) and Rules (rules-section-structure.html,
  intrinsic-function-reference-rules.html);
- references: ``Ref`` to a declared parameter, resource or pseudo parameter (pseudo-parameter-reference.html),
  and only to parameters inside Conditions; ``Fn::If`` and ``Condition`` to declared conditions, with no
  cycle; ``DependsOn`` to declared resources; an export's name and ``Fn::ImportValue`` depending on no
  resource (outputs-section-structure.html);
- ``AWS::CloudFormation::Interface`` naming only declared parameters (parameters-section-structure.html).

The Rules are evaluated by ``cfn_rules`` and parameter values checked by ``cfn_parameters``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any, Literal

# -- quotas ("AWS CloudFormation quotas") ----------------------------------------------------------------
INLINE_BODY_BYTES = 51_200  # TemplateBody of CreateStack/UpdateStack/CreateChangeSet
S3_BODY_BYTES = 1_000_000  # TemplateURL: "1 MB" (read as 10^6 bytes, the stricter reading)
MAX_PARAMETERS = 200
MAX_RESOURCES = 500
MAX_OUTPUTS = 200
MAX_MAPPINGS = 200
MAX_MAPPING_ATTRIBUTES = 200
MAX_NAME_LENGTH = 255  # logical IDs of parameters, resources and outputs; mapping and attribute names
MAX_TEMPLATE_DESCRIPTION_BYTES = 1_024
MAX_OUTPUT_DESCRIPTION_BYTES = 1_024
MAX_PARAMETER_DESCRIPTION_CHARACTERS = 4_000

PSEUDO_PARAMETERS = frozenset(
    {
        "AWS::AccountId",
        "AWS::NotificationARNs",
        "AWS::NoValue",
        "AWS::Partition",
        "AWS::Region",
        "AWS::StackId",
        "AWS::StackName",
        "AWS::URLSuffix",
    }
)

# "Condition intrinsic functions" (Conditions syntax): what a condition may be made of. Fn::ForEach
# needs the AWS::LanguageExtensions transform, which neither template declares.
CONDITION_FUNCTIONS = frozenset({"Fn::And", "Fn::Equals", "Fn::If", "Fn::Not", "Fn::Or", "Condition"})
# What may stand for a value inside Fn::Equals. The User Guide lists only Fn::FindInMap and Ref ("Supported
# functions", Condition functions); CloudFormation also accepts the functions that return a string,
# Fn::Join, Fn::Select and Fn::Sub (AWS's own linter, cfn-lint rule E8003, accepts them after the
# CloudFormation team confirmed it: aws-cloudformation/cfn-lint#881), and that is the only way to test
# a list parameter for emptiness. Fn::Split is accepted inside them, never as an operand: an operand
# must be a string ("every Fn::Equals object requires a list of 2 string parameters").
CONDITION_VALUE_FUNCTIONS = frozenset({"Ref", "Fn::FindInMap", "Fn::Join", "Fn::Select", "Fn::Sub"})
CONDITION_LIST_FUNCTIONS = frozenset({"Fn::Split"})
# "Rule-specific intrinsic functions" (Rules syntax, and AWS rule functions). Inside any of them only
# Ref and other rule functions; inside Fn::ValueOf and Fn::ValueOfAll no function at all.
RULE_FUNCTIONS = frozenset(
    {
        "Fn::And",
        "Fn::Contains",
        "Fn::EachMemberEquals",
        "Fn::EachMemberIn",
        "Fn::Equals",
        "Fn::If",
        "Fn::Not",
        "Fn::Or",
        "Fn::RefAll",
        "Fn::ValueOf",
        "Fn::ValueOfAll",
        "Ref",
    }
)
# Fn::And and Fn::Or take 2 to 10 conditions; Fn::Not exactly one (both function references).
_ARITY = {"Fn::And": (2, 10), "Fn::Or": (2, 10), "Fn::Not": (1, 1), "Fn::Equals": (2, 2), "Fn::If": (3, 3)}

_ALPHANUMERIC = re.compile(r"[A-Za-z0-9]+")
_SUB_VARIABLE = re.compile(r"\$\{([^}!][^}]*)\}")

Section = Literal["Conditions", "Rules", "Resources", "Outputs"]


class TemplateError(ValueError):
    """The template (or a value given for it) is not what CloudFormation would accept."""


def validate_template(document: Mapping[str, Any], *, body: str, via: Literal["s3", "inline"]) -> None:
    """Raise TemplateError listing everything CloudFormation would refuse in ``document`` (the template
    as CloudFormation processes it: after the SAM transform), whose body, as sent, is ``body``."""
    problems = [
        *_body_size(body, via),
        *_sections(document),
        *_interface(document),
        *_conditions(document),
        *_rules(document),
        *_references(document),
        *_outputs(document),
        *computed_literal_arguments(document, "template"),
    ]
    if problems:
        raise TemplateError("CloudFormation would refuse this template: " + "; ".join(problems))


# -- literal arguments ---------------------------------------------------------------------------------------
# "Supported functions" of Fn::Join, Fn::Split and Fn::Sub: "For the Fn::Join delimiter, you can't use any
# functions. You must specify a string value." (and the same for Fn::Split's delimiter and Fn::Sub's String).
# Checked everywhere, in branches a condition leaves out too: CloudFormation refuses the template itself.
_LITERAL_FIRST_ARGUMENT = {"Fn::Join": "delimiter", "Fn::Split": "delimiter", "Fn::Sub": "String"}


def computed_literal_arguments(value: Any, where: str) -> Iterator[str]:
    """Every Fn::Join or Fn::Split delimiter and Fn::Sub String given as a function, by its path."""
    if isinstance(value, dict):
        for key, inner in value.items():
            what = _LITERAL_FIRST_ARGUMENT.get(key)
            if what and isinstance(inner, list) and inner and not isinstance(inner[0], str):
                yield f"{where}: {key}'s {what} must be a string value, not a function"
            yield from computed_literal_arguments(inner, f"{where}.{key}")
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            yield from computed_literal_arguments(inner, f"{where}[{index}]")


# -- size and quotas ---------------------------------------------------------------------------------------
def check_body_size(body: str, *, via: Literal["s3", "inline"], what: str = "the template body") -> None:
    problems = list(_body_size(body, via, what))
    if problems:
        raise TemplateError("CloudFormation would refuse this template: " + "; ".join(problems))


def _body_size(body: str, via: Literal["s3", "inline"], what: str = "the template body") -> Iterator[str]:
    size = len(body.encode())
    limit = S3_BODY_BYTES if via == "s3" else INLINE_BODY_BYTES
    if size > limit:
        where = "uploaded to S3" if via == "s3" else "sent inline (TemplateBody)"
        yield f"{what} is {size:,} bytes, more than the {limit:,} allowed for a template {where}"


def _sections(document: Mapping[str, Any]) -> Iterator[str]:
    yield from _template_description(document)
    yield from _section_quotas_and_logical_ids(document)
    yield from _mapping_attributes(document)
    yield from _logical_ids_declared_twice(document)
    yield from _parameter_descriptions(document)


def _template_description(document: Mapping[str, Any]) -> Iterator[str]:
    description = document.get("Description")
    if description is None:
        return
    if not isinstance(description, str):
        yield "Description must be a literal string (no parameter or function)"
    elif len(description.encode()) > MAX_TEMPLATE_DESCRIPTION_BYTES:
        yield f"Description is {len(description.encode())} bytes, more than {MAX_TEMPLATE_DESCRIPTION_BYTES}"


def _section_quotas_and_logical_ids(document: Mapping[str, Any]) -> Iterator[str]:
    for section, quota in (
        ("Parameters", MAX_PARAMETERS),
        ("Resources", MAX_RESOURCES),
        ("Outputs", MAX_OUTPUTS),
        ("Mappings", MAX_MAPPINGS),
    ):
        declared = document.get(section) or {}
        if len(declared) > quota:
            yield f"{section} declares {len(declared)}, more than the quota of {quota}"
        for logical_id in declared:
            if not _ALPHANUMERIC.fullmatch(str(logical_id)):
                yield f"{section} logical ID {logical_id!r} is not alphanumeric (A-Za-z0-9)"
            if len(str(logical_id)) > MAX_NAME_LENGTH:
                yield f"{section} logical ID {str(logical_id)[:40]}... is longer than {MAX_NAME_LENGTH} characters"


def _mapping_attributes(document: Mapping[str, Any]) -> Iterator[str]:
    for name, mapping in (document.get("Mappings") or {}).items():
        if len(mapping) > MAX_MAPPING_ATTRIBUTES:
            yield f"mapping {name} has {len(mapping)} attributes, more than {MAX_MAPPING_ATTRIBUTES}"
        yield from (
            f"mapping {name}: attribute name {key[:40]!r} is longer than {MAX_NAME_LENGTH} characters"
            for key in mapping
            if len(str(key)) > MAX_NAME_LENGTH
        )


def _logical_ids_declared_twice(document: Mapping[str, Any]) -> Iterator[str]:
    # Parameters, resources and conditions share one namespace of logical IDs.
    seen: dict[str, str] = {}
    for section in ("Parameters", "Resources", "Conditions"):
        for logical_id in document.get(section) or {}:
            if logical_id in seen:
                yield f"logical ID {logical_id} is declared in both {seen[logical_id]} and {section}"
            seen[logical_id] = section


def _parameter_descriptions(document: Mapping[str, Any]) -> Iterator[str]:
    for name, spec in (document.get("Parameters") or {}).items():
        text = spec.get("Description", "")
        if isinstance(text, str) and len(text) > MAX_PARAMETER_DESCRIPTION_CHARACTERS:
            yield f"parameter {name}: Description is longer than {MAX_PARAMETER_DESCRIPTION_CHARACTERS} characters"


def _interface(document: Mapping[str, Any]) -> Iterator[str]:
    interface = (document.get("Metadata") or {}).get("AWS::CloudFormation::Interface") or {}
    declared = set(document.get("Parameters") or {})
    for group in interface.get("ParameterGroups", []):
        for name in group.get("Parameters", []):
            if name not in declared:
                yield f"AWS::CloudFormation::Interface groups parameter {name}, which is not declared"
    for name in interface.get("ParameterLabels", {}):
        if name not in declared:
            yield f"AWS::CloudFormation::Interface labels parameter {name}, which is not declared"


# -- Conditions ------------------------------------------------------------------------------------------
def _conditions(document: Mapping[str, Any]) -> Iterator[str]:
    conditions = document.get("Conditions") or {}
    declared = set(conditions)
    for name, body in conditions.items():
        yield from (f"condition {name}: {p}" for p in _condition(body, document))
    # A condition may name another, never itself through a chain.
    edges = {name: set(_named_conditions(body)) & declared for name, body in conditions.items()}
    for name in conditions:
        if _reaches(name, name, edges, set()):
            yield f"condition {name} depends on itself (a circular Condition reference)"


def _condition(body: Any, document: Mapping[str, Any]) -> Iterator[str]:
    function, argument = _function(body)
    if function is None or function not in CONDITION_FUNCTIONS:
        shown = function or type(body).__name__
        yield f"{shown} is not a condition function (only {', '.join(sorted(CONDITION_FUNCTIONS))})"
        return
    if function == "Condition":
        if argument not in (document.get("Conditions") or {}):
            yield f"Condition names {argument!r}, which is not declared"
        return
    yield from _arity(function, argument)
    if not isinstance(argument, list):
        return
    if function == "Fn::Equals":
        for operand in argument:
            yield from _condition_value(operand, document, CONDITION_VALUE_FUNCTIONS)
    elif function == "Fn::If":
        if not argument:  # _arity has said what is missing
            return
        if argument[0] not in (document.get("Conditions") or {}):
            yield f"Fn::If names condition {argument[0]!r}, which is not declared"
        for branch in argument[1:]:
            yield from _condition(branch, document)
    else:
        for operand in argument:
            yield from _condition(operand, document)


def _condition_value(value: Any, document: Mapping[str, Any], allowed: frozenset[str]) -> Iterator[str]:
    """A value inside Fn::Equals: a literal, or a function that CloudFormation resolves before any
    resource exists (never a resource: there is none yet when conditions are evaluated)."""
    if isinstance(value, list):
        for item in value:
            yield from _condition_value(item, document, CONDITION_VALUE_FUNCTIONS | CONDITION_LIST_FUNCTIONS)
        return
    function, argument = _function(value)
    if function is None:
        if isinstance(value, dict):
            yield f"a map ({', '.join(map(str, value))}) cannot be compared by Fn::Equals"
        return
    if function not in allowed:
        yield f"{function} is not accepted inside Fn::Equals in Conditions (only {', '.join(sorted(allowed))})"
        return
    if function == "Ref":
        yield from _condition_ref(argument, document)
    elif function == "Fn::Sub":
        yield from _condition_sub(argument, document)
    else:
        yield from _condition_value(argument, document, CONDITION_VALUE_FUNCTIONS | CONDITION_LIST_FUNCTIONS)


def _condition_ref(name: Any, document: Mapping[str, Any]) -> Iterator[str]:
    """Ref inside a condition: a parameter or a pseudo parameter, never a resource."""
    if name in (document.get("Resources") or {}):
        yield f"Ref {name} names a resource: Conditions are evaluated before any resource exists"
    elif name not in (document.get("Parameters") or {}) and name not in PSEUDO_PARAMETERS:
        yield f"Ref {name!r} names no declared parameter"


def _condition_sub(argument: Any, document: Mapping[str, Any]) -> Iterator[str]:
    """Fn::Sub inside a condition: each ${Name} a parameter or a pseudo parameter (or one of its own
    variables), and each variable's value a condition value in turn."""
    template, variables = (argument, {}) if isinstance(argument, str) else (argument[0], argument[1])
    for variable in _SUB_VARIABLE.findall(str(template)):
        if variable in variables:
            continue
        name = variable.split(".", 1)[0] if not variable.startswith("AWS::") else variable
        if name in (document.get("Resources") or {}):
            yield f"Fn::Sub ${{{variable}}} names a resource: Conditions are evaluated before any resource exists"
        elif name not in (document.get("Parameters") or {}) and name not in PSEUDO_PARAMETERS:
            yield f"Fn::Sub ${{{variable}}} names no declared parameter"
    for nested in variables.values():
        yield from _condition_value(nested, document, CONDITION_VALUE_FUNCTIONS)


def _named_conditions(value: Any) -> Iterator[str]:
    function, argument = _function(value)
    if function == "Condition":
        yield str(argument)
    elif function == "Fn::If" and isinstance(argument, list) and argument:
        yield str(argument[0])
        for branch in argument[1:]:
            yield from _named_conditions(branch)
    elif isinstance(argument, list):
        for item in argument:
            yield from _named_conditions(item)


def _reaches(start: str, target: str, edges: Mapping[str, set[str]], seen: set[str]) -> bool:
    for following in edges.get(start, set()):
        if following == target:
            return True
        if following not in seen:
            seen.add(following)
            if _reaches(following, target, edges, seen):
                return True
    return False


# -- Rules ---------------------------------------------------------------------------------------------------
def _rules(document: Mapping[str, Any]) -> Iterator[str]:
    for name, rule in (document.get("Rules") or {}).items():
        if not _ALPHANUMERIC.fullmatch(str(name)):
            yield f"rule name {name!r} is not alphanumeric"
        if not isinstance(rule, dict):
            yield f"rule {name} is not a map of RuleCondition and Assertions"
            continue
        unknown = set(rule) - {"RuleCondition", "Assertions"}
        if unknown:
            yield f"rule {name}: unknown keys {sorted(unknown)}"
        assertions = rule.get("Assertions")
        if not isinstance(assertions, list) or not assertions:
            yield f"rule {name}: Assertions is required (a list of one or more Assert)"
            assertions = []
        if "RuleCondition" in rule:
            yield from (f"rule {name}: RuleCondition {p}" for p in _rule_function(rule["RuleCondition"], document))
        for index, assertion in enumerate(assertions):
            if not isinstance(assertion, dict) or "Assert" not in assertion:
                yield f"rule {name}: assertion {index + 1} has no Assert"
                continue
            description = assertion.get("AssertDescription", "")
            if not isinstance(description, str):
                yield f"rule {name}: AssertDescription must be a literal string"
            yield from (f"rule {name}: Assert {p}" for p in _rule_function(assertion["Assert"], document))


def _rule_function(value: Any, document: Mapping[str, Any]) -> Iterator[str]:
    if _function(value)[0] is None and not isinstance(value, list):
        yield f"is {value!r}, not a rule-specific function that evaluates to true or false"
        return
    yield from _rule_function_argument(value, document)


def _rule_function_argument(value: Any, document: Mapping[str, Any]) -> Iterator[str]:
    if isinstance(value, list):
        for item in value:
            yield from _rule_function_argument(item, document)
        return
    function, argument = _function(value)
    if function is None:
        if isinstance(value, dict):
            yield f"holds a map ({', '.join(map(str, value))}), which no rule function takes"
        return
    if function not in RULE_FUNCTIONS:
        yield (
            f"uses {function}, which CloudFormation does not accept in Rules "
            f"(only the rule-specific functions {', '.join(sorted(RULE_FUNCTIONS))})"
        )
        return
    if function == "Ref":
        if argument not in (document.get("Parameters") or {}):
            yield f"Ref {argument!r} names no declared parameter (a rule validates parameters only)"
    elif function in ("Fn::ValueOf", "Fn::ValueOfAll"):
        yield from _rule_value_of(function, argument, document)
    elif function == "Fn::RefAll":
        if not isinstance(argument, str):
            yield "Fn::RefAll takes a parameter type (a literal string)"
    else:
        yield from _rule_condition_function(function, argument, document)


def _rule_value_of(function: str, argument: Any, document: Mapping[str, Any]) -> Iterator[str]:
    """Fn::ValueOf and Fn::ValueOfAll: no function inside them, and Fn::ValueOf names a declared parameter."""
    if not (isinstance(argument, list) and len(argument) == 2 and all(isinstance(a, str) for a in argument)):
        yield f"{function} takes two literal strings (no function may be used inside it)"
    elif function == "Fn::ValueOf" and argument[0] not in (document.get("Parameters") or {}):
        yield f"Fn::ValueOf names parameter {argument[0]!r}, which is not declared"


def _rule_condition_function(function: str, argument: Any, document: Mapping[str, Any]) -> Iterator[str]:
    """The rule functions that take other functions or values (Fn::And, Fn::Contains, Fn::EachMemberEquals,
    Fn::EachMemberIn, Fn::Equals, Fn::If, Fn::Not, Fn::Or): the number of arguments where it is fixed,
    the condition Fn::If names, then each argument in turn."""
    yield from _arity(function, argument)
    if function == "Fn::If" and isinstance(argument, list) and argument:
        if argument[0] not in (document.get("Conditions") or {}):
            yield f"Fn::If names condition {argument[0]!r}, which is not declared"
        argument = argument[1:]
    if isinstance(argument, list):
        for item in argument:
            yield from _rule_function_argument(item, document)


# -- references everywhere else ---------------------------------------------------------------------------------
def _references(document: Mapping[str, Any]) -> Iterator[str]:
    resources = document.get("Resources") or {}
    conditions = document.get("Conditions") or {}
    for logical_id, resource in resources.items():
        if not isinstance(resource, dict) or not isinstance(resource.get("Type"), str):
            yield f"resource {logical_id} has no Type"
            continue
        if "Condition" in resource and resource["Condition"] not in conditions:
            yield f"resource {logical_id}: Condition {resource['Condition']!r} is not declared"
        depends_on = resource.get("DependsOn", [])
        for name in [depends_on] if isinstance(depends_on, str) else depends_on:
            if name not in resources:
                yield f"resource {logical_id}: DependsOn {name!r} names no resource"
        for key in ("Properties", "Metadata", "UpdatePolicy", "CreationPolicy"):
            if key in resource:
                yield from (f"resource {logical_id}: {p}" for p in _values(resource[key], document))
    for name, output in (document.get("Outputs") or {}).items():
        if "Condition" in output and output["Condition"] not in conditions:
            yield f"output {name}: Condition {output['Condition']!r} is not declared"
        yield from (f"output {name}: {p}" for p in _values(output, document))


def _values(value: Any, document: Mapping[str, Any]) -> Iterator[str]:
    """Ref, Fn::GetAtt, Fn::Sub and Fn::If in resources and outputs name what the template declares."""
    if isinstance(value, list):
        for item in value:
            yield from _values(item, document)
        return
    if not isinstance(value, dict):
        return
    function, argument = _function(value)
    if function == "Ref" and isinstance(argument, str):
        if not _declared_name(argument, document):
            yield f"Ref {argument!r} names no parameter, resource or pseudo parameter"
        return
    if function == "Fn::GetAtt":
        yield from _get_att_target(argument, document)
    elif function == "Fn::If" and isinstance(argument, list):
        yield from _arity(function, argument)
        if argument and argument[0] not in (document.get("Conditions") or {}):
            yield f"Fn::If names condition {argument[0]!r}, which is not declared"
    elif function == "Fn::Sub":
        yield from _sub_variables(argument, document)
    for nested in value.values():
        yield from _values(nested, document)


def _get_att_target(argument: Any, document: Mapping[str, Any]) -> Iterator[str]:
    # Fn::GetAtt is written "Resource.Attribute" or [Resource, Attribute].
    target = argument.split(".", 1)[0] if isinstance(argument, str) else argument[0]
    if target not in (document.get("Resources") or {}):
        yield f"Fn::GetAtt {target!r} names no resource"


def _sub_variables(argument: Any, document: Mapping[str, Any]) -> Iterator[str]:
    """Each ${Name} of an Fn::Sub names one of its own variables, a parameter, a resource (${Resource.Attribute}
    too) or a pseudo parameter."""
    template, variables = (argument, {}) if isinstance(argument, str) else (argument[0], argument[1])
    for variable in _SUB_VARIABLE.findall(str(template)):
        name = variable if variable.startswith("AWS::") else variable.split(".", 1)[0]
        if variable not in variables and not _declared_name(name, document):
            yield f"Fn::Sub ${{{variable}}} names no parameter, resource or pseudo parameter"


def _declared_name(name: str, document: Mapping[str, Any]) -> bool:
    return (
        name in PSEUDO_PARAMETERS
        or name in (document.get("Parameters") or {})
        or name in (document.get("Resources") or {})
    )


# -- outputs and exports -----------------------------------------------------------------------------------------
def _outputs(document: Mapping[str, Any]) -> Iterator[str]:
    for name, output in (document.get("Outputs") or {}).items():
        if "Value" not in output:
            yield f"output {name} has no Value"
        description = output.get("Description")
        if description is not None and (
            not isinstance(description, str) or len(description.encode()) > MAX_OUTPUT_DESCRIPTION_BYTES
        ):
            yield f"output {name}: Description must be a literal string of at most {MAX_OUTPUT_DESCRIPTION_BYTES} bytes"
        if "Export" in output:
            export_name = (output["Export"] or {}).get("Name")
            if export_name is None:
                yield f"output {name}: Export has no Name"
            elif _depends_on_a_resource(export_name, document):
                yield f"output {name}: the Export Name depends on a resource (Ref or Fn::GetAtt of one)"
    for logical_id, resource in (document.get("Resources") or {}).items():
        for imported in _imports(resource.get("Properties", {})):
            if _depends_on_a_resource(imported, document):
                yield f"resource {logical_id}: Fn::ImportValue depends on a resource (Ref or Fn::GetAtt of one)"


def _imports(value: Any) -> Iterator[Any]:
    if isinstance(value, list):
        for item in value:
            yield from _imports(item)
    elif isinstance(value, dict):
        function, argument = _function(value)
        if function == "Fn::ImportValue":
            yield argument
            return
        for nested in value.values():
            yield from _imports(nested)


def _depends_on_a_resource(value: Any, document: Mapping[str, Any]) -> bool:
    resources = document.get("Resources") or {}
    if isinstance(value, list):
        return any(_depends_on_a_resource(v, document) for v in value)
    if not isinstance(value, dict):
        return False
    function, argument = _function(value)
    if function == "Ref":
        return argument in resources
    if function == "Fn::GetAtt":
        return True
    if function == "Fn::Sub":
        template, variables = (argument, {}) if isinstance(argument, str) else (argument[0], argument[1])
        names = {v.split(".", 1)[0] for v in _SUB_VARIABLE.findall(str(template)) if v not in variables}
        return bool(names & set(resources)) or _depends_on_a_resource(list(variables.values()), document)
    return any(_depends_on_a_resource(v, document) for v in value.values())


# -- shared ------------------------------------------------------------------------------------------------------
def _function(value: Any) -> tuple[str | None, Any]:
    """(name, argument) of an intrinsic function written as a one-key map, else (None, value)."""
    if isinstance(value, dict) and len(value) == 1:
        ((key, argument),) = value.items()
        if key == "Ref" or key == "Condition" or str(key).startswith("Fn::"):
            return str(key), argument
    return None, value


def _arity(function: str, argument: Any) -> Iterator[str]:
    if function not in _ARITY:
        return
    least, most = _ARITY[function]
    count = len(argument) if isinstance(argument, list) else 0
    if not isinstance(argument, list) or not least <= count <= most:
        wanted = f"{least}" if least == most else f"{least} to {most}"
        yield f"{function} takes a list of {wanted} items, not {argument!r}"
