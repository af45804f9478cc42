"""The Chinese and English texts of every error code, in one catalog.

A template names its parameters in braces (`{holder}`); values are inserted as given, lists
joined with the language's separator. The Chinese text uses no parameter the English one
lacks (a unit test holds every entry to that), so whoever raises a code fills both.
"""
from __future__ import annotations

import string
from typing import Any

LANGUAGES = ("zh", "en")

# code: (Chinese, English)
MESSAGES: dict[str, tuple[str, str]] = {
    # users and accounts
    "user.not_found": ("用户 {name} 不存在或已停用。", "no user '{name}'"),
    "user.name_invalid": ("用户名 {name} 无效：只能包含字母、数字、_、-、.。",
                          "'{name}' is not a valid user name (letters, digits, _ - .)"),
    "user.roles_unknown": ("未知角色：{roles}（可选：{known}）。", "unknown role(s) {roles}; roles are {known}"),
    "user.roles_missing": ("至少需要一个角色。", "at least one role is required"),
    "user.email_invalid": ("电子邮件地址 {email} 无效。", "'{email}' is not an e-mail address"),
    "user.exists": ("用户 {name} 已存在。", "user '{name}' already exists"),
    "user.department_unknown": ("部门 {department} 不存在（已有：{known}）；请先用 pdw departments add 添加（写明类型与层级），"
                                "或同时给出 --department-name 和 --department-kind。",
                                "no department '{department}' (known: {known}); add it first with `pdw departments add` "
                                "(with its kind and level), or give --department-name and --department-kind"),
    # the organisation: levels and departments
    "organisation.not_changed": ("组织机构未作改动。", "the organisation was not changed"),
    "organisation.code_invalid": ("编码 {code} 无效：只能包含字母、数字、_、-、.，不超过 64 个字符。",
                                  "'{code}' is not a valid code (letters, digits, _ - ., at most 64)"),
    "organisation.name_missing": ("请填写名称。", "a name is required"),
    "organisation.name_invalid": ("名称不能为空、不能含控制字符，且不超过 {max} 个字符。",
                                  "a name must not be blank or hold control characters, and has at most {max} "
                                  "characters"),
    "department.kind_unknown": ("未知部门类型 {kind}（可选：{known}）。", "unknown department kind '{kind}'; kinds are {known}"),
    "department.not_found": ("部门 {department} 不存在。", "no department '{department}'"),
    "department.exists": ("部门 {department} 已存在。", "department '{department}' already exists"),
    "department.retired": ("部门 {department} 已撤销。", "department '{department}' is retired"),
    "department.nothing_to_change": ("请至少给出名称、全称或类型之一。", "give a new name, full name or kind"),
    "department.is_authority": ("部门 {department} 是 {level} 的公共数据主管部门，不能改变类型、迁移或撤销；"
                                "请先指定该层级的另一个主管部门。",
                                "department '{department}' is the competent authority of level '{level}': it cannot "
                                "change kind, move or retire; make another department that level's authority first"),
    "department.open_work": ("部门 {department} 尚有 {count} 项未办结的工作（待办步骤或办理中的申请），不能撤销。",
                             "department '{department}' has {count} open item(s) of work (open steps or running "
                             "applications); it cannot be retired"),
    "level.unknown": ("层级 {level} 不存在（已有：{known}）；请先用 pdw levels add 添加。",
                      "no level '{level}' (known: {known}); add it with `pdw levels add`"),
    "level.kind_unknown": ("未知层级类型 {kind}（可选：{known}）。", "unknown level kind '{kind}'; kinds are {known}"),
    "level.exists": ("层级 {level} 已存在。", "level '{level}' already exists"),
    "level.city_exists": ("已有市级层级 {level}；只能有一个市级。", "there is already a city level, '{level}'"),
    "level.authority_exists": ("层级 {level} 已有公共数据主管部门 {authority}。",
                               "level '{level}' already has a competent authority, '{authority}'"),
    "command.forbidden": ("用户 {user} 无权执行此操作（需要角色：{needed}）。",
                          "user '{user}' may not administer {area}; it needs one of the roles {needed}"),
    "token.not_created": ("未创建令牌。", "token not created"),
    "token.expiry_out_of_range": ("有效天数应在 {min} 到 {max} 之间。", "must be between {min} and {max} days"),
    "token.not_found": ("令牌 {token} 不存在。", "no token {token}"),
    "token.missing": ("缺少访问令牌：请在请求头中提供 Authorization: Bearer 令牌。",
                      "no API token: send the header 'Authorization: Bearer TOKEN'"),
    "token.invalid": ("访问令牌无效、已过期或已吊销。", "the API token is unknown, expired or revoked"),
    "user.not_added": ("未添加用户。", "user not added"),
    "password.too_short": ("密码至少需要 {min} 个字符。", "must have at least {min} characters"),
    "password.common": ("这是常见密码，很容易被猜中。请换一个不常见的短语。",
                        "this is a commonly used password, easy to guess (strength {score} of 4, {min_score} needed)"),
    "password.personal": ("密码包含您的姓名、用户名或邮箱，很容易被猜中。",
                          "it holds your name, login or e-mail, which is easy to guess (strength {score} of 4, "
                          "{min_score} needed)"),
    "password.word": ("密码主要是一个常见词或姓名，很容易被猜中。请再加几个不相关的词。",
                      "it is mostly a common word or name: add another word or two (strength {score} of 4, "
                      "{min_score} needed)"),
    "password.keyboard": ("密码是键盘上相邻的按键（如 qwerty），很容易被猜中。",
                          "keys next to each other on the keyboard (like qwerty) are easy to guess (strength {score} "
                          "of 4, {min_score} needed)"),
    "password.repeated": ("密码由重复的字符或片段组成，很容易被猜中。",
                          "repeated characters or parts are easy to guess (strength {score} of 4, {min_score} needed)"),
    "password.sequence": ("密码是连续的字母或数字（如 abc、12345678），很容易被猜中。",
                          "sequences like abc or 12345678 are easy to guess (strength {score} of 4, {min_score} "
                          "needed)"),
    "password.date": ("密码主要是日期或年份，很容易被猜中。", "dates and years are easy to guess (strength {score} of 4, "
                                                     "{min_score} needed)"),
    "password.weak": ("密码太容易被猜中。请使用更长的、由几个不相关的词组成的短语。",
                      "too easy to guess: use a longer phrase of unrelated words (strength {score} of 4, "
                      "{min_score} needed)"),
    "password.not_set": ("未设置密码。", "password not set"),
    "auth.failed": ("用户名或密码错误。", "wrong user name or password"),
    "auth.locked": ("登录失败次数过多，请于 {until} 后重试。", "too many failed sign-ins; try again after {until}"),
    # procedures and applications
    "withdrawal.refused": ("申请未撤回：请填写撤回理由。", "application not withdrawn"),
    "withdrawal.reason_length": ("请填写撤回理由（不超过 {max} 个字）。", "give a reason of 1 to {max} characters"),
    "withdrawal.ended": ("申请 {instance} 已结束，不能撤回。", "application {instance} is {status}; it cannot be withdrawn"),
    "attachment.refused": ("附件未上传。", "attachment not uploaded"),
    "attachment.too_large": ("附件 {name} 超过 {max_mb} MB。", "'{name}' is larger than {max_mb} MB"),
    "attachment.type_not_allowed": ("附件 {name} 的类型不允许（允许：{allowed}）。",
                                    "'{name}' is not an allowed type ({allowed})"),
    "attachment.too_many": ("每件申请最多 {max} 个附件。", "at most {max} attachments per application"),
    "attachment.not_found": ("附件 {attachment} 不存在。", "no attachment {attachment}"),
    "withdrawal.decided": ("申请 {instance} 已作出答复，不能撤回。",
                           "application {instance} has been decided; it cannot be withdrawn"),
    "process.not_found": ("没有已部署的流程 {process}。", "no deployed process '{process}'"),
    "process.no_start_form": ("流程 {process} 不接受申请。", "no procedure '{process}' to apply for"),
    "process.not_startable": ("您的角色不能提交此类申请（需要：{needed}）。",
                              "user '{user}' (roles {roles}) may not start '{process}'; it needs one of: {needed}"),
    "process.authority_only": ("只有公共数据主管部门的工作人员可以发起「{process}」。",
                               "only the staff of the public data authority may start '{process}'"),
    "process.not_for_kind": ("{kind}不能提出此类申请；《达州市公共数据管理办法》规定由{needed}提出。",
                             "a {kind_en} ({kind}) may not file '{process}'; the Measures give it to: {needed_en} ({needed})"),
    "application.measures_not_in_force": ("{received} 不在《达州市公共数据管理办法》施行期间（{since} 至 {until}，{article}），"
                                          "申请不予受理。",
                                          "{received} is outside the period the Measures are in force ({since} to "
                                          "{until}, {article}): the application is not received"),
    "application.related_unknown": ("您可查阅的申请中没有受理编号为 {number} 的申请。",
                                    "none of the applications you may read has the receipt number {number}"),
    "application.catalog_item_unknown": ("公共数据目录中没有编码为 {code} 的数据。", "no catalog item '{code}'"),
    "application.catalog_item_not_open": ("目录编码 {code} 的数据未开放（{attribute}），不能对其提出开放数据异议"
                                          "（第二十八条第二款）。",
                                          "catalog item '{code}' is not open ({attribute}): an objection under "
                                          "Art. 28 para. 2 concerns opened data"),
    "task.term_ended": ("期限 {date} 早于作出决定之日 {today}：期限已届满的授权不能给予任何访问，请重新填写。",
                        "the term {date} ended before the day of the decision {today}: a grant for it would give "
                        "no access"),
    "grant.term_ended": ("期限 {date} 早于登记之日 {today}：期限已届满的授权不予登记。",
                         "the term {date} ended before today {today}: a grant that gives no access is not recorded"),
    "grant.not_recorded": ("授权未登记。", "the grant was not recorded"),
    "application.date_past": ("日期 {date} 早于收到申请之日 {received}。",
                              "the date {date} lies before the day of receipt {received}"),
    "catalog.personal_information_open": ("敏感级别为「{level}」的数据不能列为无条件开放（第二十四条第三款、第二十五条）。",
                                          "data of sensitivity level {level} cannot be listed 无条件开放 "
                                          "(Art. 24 para. 3, 25)"),
    "assessment.refused": ("评估结果未被目录采纳：有 {count} 处需要补充。",
                           "the assessment cannot go into the catalog ({count} problem(s))"),
    "assessment.field_needed": ("列为「{attribute}」时必须填写此项（第十九条第二款、第二十五条）。",
                                "needed when the data is listed as {attribute} (Art. 19(2), Art. 25)"),
    "department.refused": ("所填部门有误。", "a department named here is wrong"),
    "department.unknown": ("没有编码为 {codes} 的部门。", "no department with the code(s) {codes}"),
    "department.nobody": ("部门 {codes} 没有可以办理此步骤的人员（{role}），请改填或先在该部门设置办理人员。",
                          "nobody at {codes} holds the role {role} to take this step: name another "
                          "department or give it someone first"),
    "department.none": ("请至少填写一个部门编码。", "name at least one department code"),
    "catalog.items_refused": ("所填数据有误。", "a catalog code named here is wrong"),
    "catalog.codes_none": ("请至少填写一个目录编码。", "name at least one catalog code"),
    "listing.refused": ("未提出纳入责任清单：有 {count} 处不符合目录规则。",
                        "not proposed for the responsibility list ({count} problem(s) with the catalog's rules)"),
    "grant.not_found": ("授权 {grant} 不存在。", "no grant {grant}"),
    "grant.not_revoked": ("授权 {grant} 未终止：请填写终止理由。", "grant {grant} not revoked: give a reason"),
    "grant.reason_missing": ("请填写终止授权的理由。", "a reason is required"),
    "grant.register_forbidden": ("{user} 无权查看数据授权登记。只有公共数据主管部门的审核人员、督办人员和管理员可以查看。",
                                 "{user} may not read the register of grants: only the public data authority's "
                                 "reviewers, supervisors and administrators may"),
    "grant.revoke_forbidden": ("用户 {user} 不能终止授权：须为公共数据主管部门的审核人员或管理员（第四十三条）。",
                               "user '{user}' may not end authorisations: only the competent authority's reviewers "
                               "and admins may (Art. 43)"),
    "grant.already_revoked": ("授权 {grant} 已于 {at} 终止。", "grant {grant} was already revoked at {at}"),
    "application.refused": ("申请未受理：有 {count} 处需要修改。", "application refused ({count} problem(s))"),
    "application.not_found": ("申请 {instance} 不存在。", "no application {instance}"),
    "instance.not_found": ("申请 {instance} 不存在。", "no instance {instance}"),
    "instance.errored": ("申请 {instance} 的流程执行出错，已暂停办理，请联系系统管理员。",
                         "instance {instance} is errored: {error}"),
    "instance.ended": ("申请 {instance} 已办结，不能继续办理。", "instance {instance} is {status}"),
    "instance.changed": ("申请在办理过程中发生了变化，请重试。",
                         "instance {instance} changed while task {task} was being completed; try again"),
    # tasks
    "task.not_found": ("任务 {task} 不存在。", "no task {task}"),
    "task.not_candidate": ("{user} 不在该任务的办理组中。", "user '{user}' is in none of the task's groups ({groups})"),
    "task.completed": ("该任务已由 {by} 办结。", "task {task} is completed by {by}"),
    "task.cancelled": ("该任务已撤销。", "task {task} is cancelled"),
    "task.already_claimed": ("该任务已被 {holder} 认领，请刷新后选择其他任务。", "task {task} is already claimed by {holder}"),
    "task.already_yours": ("您已认领该任务。", "task {task} is already claimed by you"),
    "task.not_claimed": ("该任务尚未被认领。", "task {task} is not claimed"),
    "task.held_by_other": ("该任务由 {holder} 持有，只有其本人或主管可以退回。",
                           "task {task} is held by {holder}; only they or a supervisor may release it"),
    "task.not_assignee": ("该任务由 {holder} 认领办理，只有认领人可以提交。",
                          "only the assignee may complete task {task}; it is claimed by {holder}"),
    "task.reassign_forbidden": ("只有主管可以改派任务。", "only a supervisor may reassign tasks; '{user}' is not one"),
    "task.not_completed": ("提交未成功：有 {count} 处需要修改。", "task {task} not completed ({count} problem(s))"),
    # forms (one code per JSON Schema keyword a form may break)
    "form.readers_unknown": ("表单 {form} 的字段 {fields} 的 x-readers 须为以下身份的列表：{known}。",
                             "form {form}: x-readers of {fields} must be a list of {known}"),
    "form.reserved": ("该项由系统填写，不能提交。", "is set by the engine and may not be submitted"),
    "form.not_object": ("提交内容必须是 JSON 对象。", "the submission must be a JSON object"),
    "form.required": ("{label}：此项为必填项", "{label}: is required"),
    "form.type": ("{label}：类型不正确", "{label}: must be of type {expected}"),
    "form.enum": ("{label}：取值不在允许范围内（可选：{allowed}）", "{label}: must be one of {allowed}"),
    "form.const": ("{label}：取值不正确", "{label}: has the wrong value"),
    "form.minLength": ("{label}：内容过短（至少 {limit} 个字符）", "{label}: must have at least {limit} characters"),
    "form.maxLength": ("{label}：内容过长（最多 {limit} 个字符）", "{label}: must have at most {limit} characters"),
    "form.pattern": ("{label}：格式不正确", "{label}: does not match the pattern {limit}"),
    "form.format": ("{label}：格式不正确（应为 {limit}）", "{label}: must be a valid {limit}"),
    "form.act_date_before_receipt": ("{label}：{value} 早于受理日期 {received}",
                                     "{label}: {value} is before the day of receipt, {received}"),
    "form.act_date_in_future": ("{label}：{value} 晚于今天（{today}），不能填写将来的日期",
                                "{label}: {value} is after today ({today}); a future day cannot be stated"),
    "form.minimum": ("{label}：数值过小（不小于 {limit}）", "{label}: must be at least {limit}"),
    "form.maximum": ("{label}：数值过大（不大于 {limit}）", "{label}: must be at most {limit}"),
    "form.additionalProperties": ("{label}：包含表单未定义的字段", "{label}: is not a field of the form"),
    "form.minItems": ("{label}：选择项过少（至少 {limit} 项）", "{label}: needs at least {limit} item(s)"),
    "form.maxItems": ("{label}：选择项过多（最多 {limit} 项）", "{label}: allows at most {limit} item(s)"),
    "form.invalid": ("{label}：填写不正确", "{label}: is not valid"),
    "form.missing": ("表单 {form} 不存在。", "form '{form}' does not exist in the forms folder"),
    "form.outside": ("表单 {form} 不在表单目录中。", "form '{form}' is outside the forms folder"),
    "form.too_large": ("表单 {form} 超过 {limit} 字节。", "form '{form}' is larger than {limit} bytes"),
    "form.not_json": ("表单 {form} 不是有效的 JSON：{detail}", "form '{form}' is not valid JSON: {detail}"),
    "form.not_schema": ("表单 {form} 不是有效的 JSON Schema：{detail}",
                        "form '{form}' is not a valid JSON Schema: {detail}"),
    "form.not_object_schema": ("表单 {form} 必须描述一个对象（\"type\": \"object\"）。",
                               "form '{form}' must describe an object (\"type\": \"object\")"),
    "form.ref_outside": ("表单 {form} 的 {field} 引用了表单以外的「{ref}」：表单只能引用自身（以 # 开头）。",
                         "form '{form}', {field}: refers to '{ref}' outside the form; a form may refer only to "
                         "itself (a reference starting with #)"),
    "form.keyword_refused": ("表单 {form} 的 {field} 使用了不支持的关键字 {keyword}。",
                             "form '{form}', {field}: the keyword {keyword} is not supported in forms"),
    "form.pattern_unsupported": ("表单 {form} 的 {field} 的格式（pattern）「{pattern}」无法以线性时间匹配"
                                 "（不支持反向引用、环视，重复次数不能过大）：{detail}",
                                 "form '{form}', {field}: the pattern '{pattern}' cannot be matched in linear time "
                                 "(no backreferences, lookaround or very large repetitions): {detail}"),
    "form.title_control": ("表单 {form} 的 {field} 的标题含有控制字符。",
                           "form '{form}', {field}: the title holds a control character"),
    "form.name_control": ("表单名称「{form}」含有控制字符。", "the form name '{form}' holds a control character"),
    "form.unusable": ("该表单无法使用（引用了表单以外的内容或格式无法匹配），请联系流程设计人员。",
                      "the form cannot be used (it refers outside itself or has a pattern that cannot be "
                      "matched); ask the process designer"),
    # the inbox
    "inbox.query_refused": ("筛选条件无效。", "inbox query refused"),
    "inbox.tab_unknown": ("未知的标签页（可选：{allowed}）。", "must be one of {allowed}"),
    "inbox.due_unknown": ("未知的期限筛选（可选：{allowed}）。", "must be one of {allowed}"),
    "inbox.out_of_range": ("取值应在 {min} 到 {max} 之间。", "must be between {min} and {max}"),
    "inbox.bad_cursor": ("分页参数无效。", "'{cursor}' is not a page cursor"),
    # the catalog
    "catalog.not_imported": ("{file} 未导入：有 {count} 处错误。", "{file} not imported ({count} problem(s))"),
    "catalog.columns_missing": ("缺少列：{columns}。", "missing column(s) {columns}"),
    "catalog.attribute_unknown": ("{value} 不是有效取值（可选：{allowed}）。", "'{value}' is not one of {allowed}"),
    "catalog.art13_missing": ("目录须载明「{label}」（{article}）。",
                              "the catalog must state the item's {label} ({article})"),
    "catalog.level_unknown": ("敏感级别「{value}」不在本市公共数据分类分级规则之内（{article}；可选：{allowed}）。",
                              "sensitivity level '{value}' is not a grade of the classification and grading rules "
                              "({article}; one of {allowed})"),
    "catalog.attribute_needs": ("列为「{attribute}」的数据须写明{label}（{article}）。",
                                "data listed {attribute} must carry its {label} ({article})"),
    "catalog.legal_bar": ("《{law}》等法律法规明确规定不能共享的数据只能列为不予共享、不予开放，不能改为「{value}」"
                          "（{article}）。",
                          "the law ({law}) bars sharing this data: it stays 不予共享 and 不予开放, not {value} "
                          "({article})"),
    "catalog.legal_bar_kept": ("禁止共享的法律依据（{law}）不能由导入、需求或子目录改变，只能由主管部门修订目录提出"
                               "（{article}）。",
                               "the law barring sharing ({law}) cannot be changed by an import, a demand or a "
                               "sub-catalog; only the authority's own edit may propose it ({article})"),
    "catalog.release_missing": ("「{item}」（{level}）向开放调整前，须记录脱密脱敏处理情况和权利人同意（谁、何时、凭证）"
                                "（{article}）。",
                                "'{item}' ({level}) is moved towards opening: it needs the record of its "
                                "desensitisation and the rights holders' consent (who, when, evidence) ({article})"),
    "catalog.loosened": ("由「{before}」放宽为「{after}」，请核实依据。",
                         "loosened from {before} to {after}: check its grounds"),
    "catalog.level_lowered": ("敏感级别由「{before}」降为「{after}」（{article}），请核实分级依据。",
                              "sensitivity level lowered from {before} to {after} ({article}): check the grading"),
    "catalog.legal_bar_lifted": ("撤销禁止共享的法律依据（{law}），请核实（{article}）。",
                                 "lifts the legal bar ({law}): check that the law allows it ({article})"),
    "catalog.source_unit_changed": ("数源单位由 {before} 改为 {after}。", "source unit changed from {before} to {after}"),
    "catalog.proposal_not_found": ("目录变更申请 {proposal} 不存在。", "no catalog change proposal {proposal}"),
    "catalog.proposal_decided": ("目录变更申请 {proposal} 已处理（{status}，{by}）。",
                                 "catalog change proposal {proposal} was already decided ({status}, by {by})"),
    "catalog.proposal_stale": ("目录变更申请 {proposal} 提出后，「{item}」已有变化：请不予批准并重新提出。",
                               "'{item}' changed after proposal {proposal} was made: refuse it and propose again"),
    "catalog.own_proposal": ("{user} 不能审核自己提出的目录变更申请 {proposal}。",
                             "{user} may not decide their own catalog change proposal {proposal}"),
    "catalog.decide_forbidden": ("{user} 不能审核目录变更：须为公共数据主管部门（{department}）的审核人员、部门负责人或管理员"
                                 "（第十三条）。",
                                 "{user} may not decide catalog changes: only the reviewers and department heads of "
                                 "the public data authority ({department}) and admins may (Art. 13)"),
    "catalog.proposals_forbidden": ("{user} 无权查看目录变更申请。", "{user} may not read catalog change proposals"),
    "catalog.not_approved": ("目录变更未批准：有 {count} 处不符合规则。",
                             "the catalog change was not approved ({count} problem(s))"),
    "catalog.not_refused": ("目录变更未处理：请填写不予批准的理由。", "the catalog change was not refused: give a reason"),
    "catalog.reason_missing": ("请填写理由。", "a reason is required"),
    "catalog.proposals_refused": ("查询条件有误。", "the query is wrong"),
    "catalog.status_unknown": ("{value} 不是有效状态（可选：{allowed}）。", "'{value}' is not one of {allowed}"),
    "catalog.not_proposed": ("目录变更未提出：有 {count} 处错误。", "no catalog change proposed ({count} problem(s))"),
    "catalog.sub_catalog_refused": ("子目录未能报送：有 {count} 处需要修改。",
                                    "the sub-catalog cannot be submitted ({count} problem(s))"),
    "catalog.sub_catalog_foreign": ("「{code}」不是本单位（{unit}）的数据：子目录只列本单位作为数源单位的数据（第十三条第三款）。",
                                    "'{code}' is not the data of {unit}: a sub-catalog lists only the unit's own data "
                                    "(Art. 13(3))"),
    "catalog.sub_catalog_empty": ("子目录没有任何新增或变更的目录项。", "the sub-catalog adds or changes no item"),
    "catalog.attribute_name_unknown": ("目录项没有「{name}」这一项（可选：{allowed}）。",
                                       "a catalog item has no attribute '{name}' (one of {allowed})"),
    "catalog.source_unit_unknown": ("部门 {unit} 不存在。", "no department '{unit}'"),
    "catalog.code_duplicate": ("编码 {code} 已在第 {first_line} 行出现。", "'{code}' is already on line {first_line}"),
    # BPMN files
    "bpmn.not_deployed": ("未部署：有 {count} 处问题。", "nothing deployed ({count} problem(s))"),
    "bpmn.too_large": ("文件大小 {size} 字节，超过上限 {limit} 字节。", "file is {size} bytes; the limit is {limit} bytes"),
    "bpmn.doctype": ("BPMN 文件中不允许出现 DOCTYPE。", "a DOCTYPE is not allowed in BPMN files"),
    "bpmn.not_xml": ("不是格式正确的 XML：{detail}", "not well-formed XML: {detail}"),
    "bpmn.not_bpmn": ("根元素是 <{tag}>，不是 <bpmn:definitions>：这不是 BPMN 2.0 文件。",
                      "root element is <{tag}>, not <bpmn:definitions>: this is not a BPMN 2.0 file"),
    "bpmn.no_executable_process": ("没有可执行的流程（<bpmn:process isExecutable=\"true\">）。",
                                   "no executable process (a <bpmn:process isExecutable=\"true\">)"),
    "bpmn.element_unsupported": ("PDW 不支持 <bpmn:{tag}>。", "<bpmn:{tag}> is not supported by PDW"),
    "bpmn.event_unsupported": ("PDW 不支持 <bpmn:{tag}>（支持定时、错误、升级和终止事件）。",
                               "<bpmn:{tag}> is not supported by PDW (timer, error, escalation and terminate "
                               "events are)"),
    "bpmn.flow_dangling": ("顺序流的 {attribute}「{ref}」不是本流程中的元素。",
                           "sequence flow {attribute} '{ref}' names no element of the process"),
    "bpmn.script_refused": ("{what} 第 {script_line} 行：{detail}", "{what}, line {script_line}: {detail}"),
    "bpmn.script_ignored": ("引擎不会运行 <bpmn:{tag}> 上的 spiffworkflow:{kind}：只有 {runs_on} 的扩展元素中的才会运行。",
                            "spiffworkflow:{kind} on <bpmn:{tag}> is never run; the engine runs it only in the "
                            "extensionElements of {runs_on}"),
    "bpmn.condition_ignored": ("从 <bpmn:{tag}> 出发的顺序流上的条件永远不会被判断：只有 {gateways} 判断条件。",
                               "the condition of a sequence flow out of <bpmn:{tag}> is never evaluated; only "
                               "{gateways} evaluate conditions"),
    "bpmn.default_condition_ignored": ("该顺序流是网关「{gateway}」的默认流，其条件永远不会被判断。",
                                       "this sequence flow is the default flow of gateway '{gateway}', so its "
                                       "condition is never evaluated"),
    "bpmn.extension_duplicate": ("spiffworkflow:{tag} 出现了 {count} 次，引擎只读取最后一个。",
                                 "spiffworkflow:{tag} appears {count} times; the engine reads only the last one"),
    "bpmn.data_name_invalid": ("{what}「{name}」不能用作脚本中的变量名（须为不以 _ 开头、不是保留名称的 Python 标识符）。",
                               "{what} '{name}' is not a name scripts can use (a Python identifier, not starting "
                               "with '_' and not reserved)"),
    "bpmn.timer_not_one": ("定时器须有且只有 timeDate、timeDuration、timeCycle 中的一项（此处有 {count} 项）。",
                           "a timer needs exactly one of timeDate, timeDuration and timeCycle; this one has {count}"),
    "bpmn.timer_not_text": ("定时器 {kind} 的取值 {value} 不是文本：引擎只读取 ISO 8601 文本，例如 \"{example}\"。",
                            "timer {kind} is {value}, which is not text; the engine reads ISO 8601 text such as "
                            "\"{example}\""),
    "bpmn.timer_invalid": ("定时器 {kind} 的取值「{value}」无法读取，请使用 ISO 8601 格式，例如 \"{example}\"。",
                           "timer {kind} \"{value}\" cannot be read; write ISO 8601 such as \"{example}\""),
    "bpmn.timer_too_far": ("定时器 {kind} 的取值「{value}」超过 {limit} 年。",
                           "timer {kind} \"{value}\" is more than {limit} years away"),
    "bpmn.cycle_too_short": ("定时器周期「{value}」每 {seconds} 秒重复一次，周期不得短于 {limit} 秒。",
                             "timer cycle \"{value}\" repeats every {seconds} seconds; the shortest period "
                             "allowed is {limit} seconds"),
    "bpmn.cardinality_too_large": ("多实例数量 loopCardinality {value} 超过上限 {limit} 个实例。",
                                   "loopCardinality {value} is above the multi-instance limit of {limit} instances"),
    "bpmn.cardinality_invalid": ("多实例数量 loopCardinality「{value}」不是整数。",
                                 "loopCardinality '{value}' is not a whole number"),
    "bpmn.loop_maximum_too_large": ("循环次数上限 loopMaximum {value} 超过上限 {limit} 次。",
                                    "loopMaximum {value} is above the limit of {limit} iterations"),
    "bpmn.loop_maximum_invalid": ("循环次数上限 loopMaximum「{value}」不是整数。",
                                  "loopMaximum '{value}' is not a whole number"),
    "bpmn.operation_missing": ("服务任务没有指定操作（spiffworkflow:serviceTaskOperator）。",
                               "service task names no operation (spiffworkflow:serviceTaskOperator)"),
    "bpmn.operation_unknown": ("未知操作「{operation}」（可用：{known}）。", "unknown operation '{operation}' (known: {known})"),
    "bpmn.user_task_no_form": ("用户任务没有表单（属性 formJsonSchemaFilename）。",
                               "user task has no form (property formJsonSchemaFilename)"),
    "bpmn.user_task_no_group": ("用户任务没有办理组（泳道，或属性 candidateGroups、candidateGroupsExpression）。",
                                "user task has no candidate group (a lane, or property candidateGroups or "
                                "candidateGroupsExpression)"),
    "bpmn.groups_ambiguous": ("用户任务同时设置了 candidateGroups 和 candidateGroupsExpression：引擎会合并两者，扩大可办理的人员范围；请只保留一项。",
                              "the user task sets both candidateGroups and candidateGroupsExpression; the engine "
                              "would combine them, widening who may decide: keep one"),
    "bpmn.disconnected": ("<bpmn:{tag}> 没有连接任何顺序流：它永远不会运行。",
                          "<bpmn:{tag}> is connected to nothing; it would never run"),
    "bpmn.unreachable": ("没有顺序流通向 <bpmn:{tag}>：它永远不会运行。",
                         "no sequence flow leads to <bpmn:{tag}>; it would never run"),
    "bpmn.name_control": ("<bpmn:{tag}> 的名称含有控制字符（如换行），会破坏邮件、文件名和请求头。",
                          "the name of <bpmn:{tag}> holds a control character (such as a line break), which "
                          "breaks e-mails, file names and headers"),
    "bpmn.file_name_control": ("文件名「{file}」含有控制字符。", "the file name '{file}' holds a control character"),
    "bpmn.deadline_disagrees": ("步骤「{task}」的法定期限是 deadlineRule「{rule}」，其定时器「{timer}」须写作 "
                                "deadline_at(\"{rule}\", receipt_date)，期限只声明一次。",
                                "step '{task}' has the statutory deadline rule '{rule}', so its timer \"{timer}\" "
                                "must be deadline_at(\"{rule}\", receipt_date): the deadline is declared once"),
    "bpmn.authority_routing": ("本流程的主管单位是公共数据主管部门（competentUnit = authority），其决定只能交由主管部门 "
                               "{competent} 办理，不能交给：{groups}。",
                               "the process's competent unit is the authority (competentUnit = authority): its "
                               "decisions may go only to the authority {competent}, not to {groups}"),
    "bpmn.capability_undeclared": ("操作 {operation} 会修改目录、授权或开放状态，流程须在属性 {property} 中声明它，"
                                   "审批人才能看到。",
                                   "operation {operation} writes the catalog, grants or opening state; the process "
                                   "must declare it in its property {property}, where the approver sees it"),
    "change.approve_forbidden": ("用户 {user} 无权批准流程变更：需要管理员，或主管部门 {department} 的 {role} 角色。",
                                 "user '{user}' may not approve process changes: that takes an admin or the role "
                                 "{role} at the competent department {department}"),
    "change.read_forbidden": ("用户 {user} 无权查看流程变更申请。", "user '{user}' may not see proposed process changes"),
    "change.own_proposal": ("{change} 是用户 {user} 本人提出的变更，须由另一位有审批权限的人员批准或驳回。",
                            "{change} was proposed by '{user}'; another person with the approving role must decide it"),
    "change.not_proposed": ("{change} 不是待审批的变更（状态：{status}）。",
                            "{change} is not a proposal waiting for a decision (it is {status})"),
    "change.superseded": ("{change} 已被更新的现行版本 v{live} 取代，不能再批准。",
                          "{change} is superseded by the live version v{live}; it can no longer be approved"),
    "change.not_approved": ("未批准：该版本现在有 {count} 处问题。", "not approved: the version now has {count} problem(s)"),
    "change.not_rejected": ("未驳回：请填写理由。", "not rejected: a reason is needed"),
    "change.reason_missing": ("请填写驳回理由。", "give the reason for rejecting"),
    "change.migration_target_not_approved": ("{change} 尚未批准（状态：{status}），不能将运行中的申请迁移到该版本。",
                                             "{change} is not approved (it is {status}); running applications "
                                             "cannot move onto it"),
    "change.migration_not_found": ("迁移申请 {proposal} 不存在。", "no migration proposal {proposal}"),
    "migration.none_chosen": ("请选择要迁移的申请。", "choose the applications to move"),
    "bpmn.extension_unrelated": ("statutoryExtension 规则「{rule}」不是本流程 statutoryRule「{governing}」的延长。",
                                 "statutoryExtension rule '{rule}' does not extend the process's statutoryRule "
                                 "'{governing}'"),
    "statutory.extension_late": ("法定答复期限已于 {due} 届满（{article}），不能再延长，请直接作出答复。",
                                 "the statutory reply period ended on {due} ({article}): it can no longer be "
                                 "extended; reply now"),
    "bpmn.property_field_unknown": ("流程属性「{property}」引用的字段「{field}」不在开始表单中（表单字段：{known}）。",
                                    "process property '{property}' names the field '{field}', which the start form "
                                    "lacks (its fields: {known})"),
    "bpmn.startable_at_unknown": ("流程属性 startableAt 的值「{value}」无效（可用：{known}）。",
                                  "startableAt '{value}' is not one of: {known}"),
    "bpmn.rule_unknown": ("未知期限规则「{rule}」（可用：{known}）。", "unknown deadline rule '{rule}' (known: {known})"),
    "bpmn.script_language": ("脚本语言「{language}」引擎不会运行：PDW 只运行 Python 脚本（scriptFormat 留空或写 python）。",
                             "the engine does not run scripts in '{language}': PDW runs Python scripts only "
                             "(leave scriptFormat empty or write python)"),
    "bpmn.camunda_code": ("PDW 不运行 Camunda 的 camunda:{tag}：请改用 spiffworkflow:preScript、spiffworkflow:postScript "
                          "或脚本任务。",
                          "PDW does not run Camunda's camunda:{tag}: use spiffworkflow:preScript, "
                          "spiffworkflow:postScript or a script task instead"),
    "bpmn.camunda_ignored": ("PDW 不读取 {name}，请改用 {instead}。", "PDW does not read {name}; use {instead} instead"),
    "bpmn.camunda_unread": ("PDW 不读取 {name}，它不会起作用。", "PDW does not read {name}; it has no effect"),
    "designer.forbidden": ("只有流程设计人员可以编辑、部署和迁移流程。",
                           "only process designers may edit, deploy and migrate processes ({user} may not)"),
    "draft.refused": ("草稿未保存：文件不是含可执行流程的 BPMN。", "draft not saved: not a BPMN file with an executable process"),
    "draft.forms_invalid": ("有 {count} 个表单不是有效的 JSON Schema。", "{count} form(s) are not valid JSON Schema"),
    "draft.not_found": ("流程 {process} 没有草稿。", "process '{process}' has no draft"),
    "migration.refused": ("未迁移任何申请：有 {count} 处问题。", "no instance migrated ({count} problem(s))"),
    "migration.failed": ("申请 {instance} 在新版本中无法继续运行，未迁移任何申请：{error}",
                         "instance {instance} cannot run on in the new version, so none was migrated: {error}"),
    "migration.not_running": ("申请状态为 {status}，只有办理中的申请可以迁移。",
                              "the instance is {status}; only running instances can move"),
    "migration.not_on_version": ("申请不在版本 {version} 上运行。", "the instance does not run on version {version}"),
    "migration.step_removed": ("正在办理的环节「{name}」在新版本中已删除。",
                               "the step '{name}' under way is removed in the new version"),
    "migration.subprocess_removed": ("正在运行的子流程 {process} 在新版本中已删除。",
                                     "the subprocess '{process}' under way is removed in the new version"),
    "bpmn.group_unknown": ("办理组「{group}」不对应任何角色，没有人会收到此任务（角色：{roles}，可写作 角色@单位代码）。",
                           "the candidate group '{group}' matches no role, so nobody would get this task "
                           "(roles: {roles}; or role@department)"),
    "bpmn.parse_failed": ("流程无法解析：{detail}", "{detail}"),
    # budgets of a process's run (the errored instance's reason)
    "budget.steps": ("元素 {element}：一次操作执行的引擎步骤超过上限 {limit}（流程可能陷入循环）。",
                     "element '{element}': more than {limit} engine steps in one command (an endless loop?)"),
    "budget.seconds": ("元素 {element}：一次操作的引擎步骤超过 {limit} 秒。",
                       "element '{element}': one command's engine steps took more than {limit} s"),
    "budget.tasks": ("元素 {element}：申请的任务数超过上限 {limit}。",
                     "element '{element}': the instance has more than {limit} tasks"),
    "budget.multi_instance": ("元素 {element}：多实例数量 {count} 超过上限 {limit}。",
                              "element '{element}': a multi-instance of {count} exceeds the limit of {limit}"),
    "budget.loop": ("元素 {element}：循环次数超过上限 {limit}。",
                    "element '{element}': the loop ran more than {limit} times"),
    "budget.data": ("申请数据 {size} 字节，超过上限 {limit} 字节。",
                    "the instance's state is {size} bytes; the limit is {limit} bytes"),
    "timer.invalid": ("元素 {element}：定时器取值 {value} 无效（应为 ISO 8601 {kind}）。",
                      "element '{element}': timer value {value} is not a valid ISO 8601 {kind}"),
    "timer.too_far": ("元素 {element}：定时器时间超出 {limit} 年范围。",
                      "element '{element}': timer is more than {limit} years away"),
    "timer.cycle_too_short": ("元素 {element}：循环定时器周期短于 {limit} 秒。",
                              "element '{element}': a repeating timer's period is shorter than {limit} s"),
    "process.ended_short": ("流程在到达结束事件之前停止（任务树过深或未完成）。",
                            "the process stopped before reaching an end event (its task tree is too deep to follow)"),
    "candidates.outside_authority": ("元素 {element}：本流程的决定属于公共数据主管部门，不能交给 {groups}。",
                                     "element '{element}': the process's decisions belong to the authority; they may "
                                     "not go to {groups}"),
    "candidates.invalid": ("元素 {element}：办理组表达式的结果应为文本或文本列表，而不是 {kind}。",
                           "element '{element}': candidateGroupsExpression must give a text or a list of texts, "
                           "not {kind}"),
    "data.not_unicode": ("字段 {field} 含有无效的 Unicode 文本。", "field '{field}' holds text that is not valid Unicode"),
    "task.post_script_failed": ("提交未成功：该步骤的后置脚本执行失败，请联系流程设计人员。",
                                "task {task} not completed: its postScript failed: {detail}"),
    "instance.query_refused": ("查询条件无效。", "query refused"),
    "instance.status_unknown": ("未知状态 {status}（可选：{allowed}）。", "unknown status '{status}'; one of {allowed}"),
    "instance.not_cancelled": ("申请 {instance} 未撤销。", "instance {instance} not cancelled"),
    "instance.reason_missing": ("请说明撤销理由。", "a reason is required"),
    "instance.cancel_forbidden": ("只有主管或管理员可以撤销申请。", "user '{user}' may not cancel applications; "
                                                                  "supervisors and admins may"),
    "instance.not_errored": ("申请 {instance} 未处于出错状态，无需重试。", "instance {instance} is {status}, not errored"),
    "instance.retry_forbidden": ("只有主管或管理员可以重试出错的申请。",
                                 "only a supervisor or an admin may retry an instance; '{user}' is neither"),
    # settings and the calendar
    "config.clock_invalid": ("{variable}={value} 不是 ISO 时间（例如 2026-03-02T09:00+08:00）。",
                             "{variable}={value} is not an ISO datetime such as 2026-03-02T09:00+08:00"),
    "config.not_integer": ("{variable}={value} 不是整数。", "{variable}={value} is not a whole number"),
    "config.too_small": ("{variable}={value} 不能小于 {min}。", "{variable}={value} must be at least {min}"),
    "config.out_of_range": ("{variable}={value} 应在 {min} 到 {max} 之间。",
                            "{variable}={value} must be between {min} and {max}"),
    "config.not_seconds": ("{variable}={value} 不是秒数。", "{variable}={value} is not a number of seconds"),
    "config.seconds_not_positive": ("{variable}={value} 必须是正的秒数。",
                                    "{variable}={value} must be a positive number of seconds"),
    "config.seconds_negative": ("{variable}={value} 必须是不小于 0 的秒数。",
                                "{variable}={value} must be a number of seconds, 0 or more"),
    "config.not_flag": ("{variable}={value} 应为 1 或 0。", "{variable}={value} is neither 1 nor 0"),
    "config.database_unsupported": ("{variable} 的数据库类型 {scheme}:// 不受支持（可用：{supported}）。",
                                    "{variable}: databases of scheme '{scheme}://' are not supported; "
                                    "use one of {supported}"),
    "config.database_folder_missing": ("{variable} 指向的文件夹 {folder} 不存在，请先创建。",
                                       "{variable}: the folder {folder} does not exist; create it first"),
    "database.unreachable": ("无法连接数据库：{detail}", "cannot reach the database: {detail}"),
    "database.retry": ("与数据库的连接已中断并已重建，本次操作未生效，请重试。",
                       "the connection to the database was lost and has been replaced; nothing was changed, "
                       "please try again"),
    "database.not_upgraded": ("数据库尚未初始化，请先运行 pdw db upgrade。",
                              "the database has no PDW tables yet; run `pdw db upgrade` first"),
    "database.behind": ("数据库结构版本 {current} 落后于程序所需的 {head}，请运行 pdw db upgrade。",
                        "the database is at revision {current} but this PDW needs {head}; run `pdw db upgrade`"),
    "config.not_choice": ("{variable}={value} 不是可选值（可选：{allowed}）。", "{variable}={value} is not one of {allowed}"),
    "calendar.beyond_range": ("{start} 加 {days} 日超出了日历范围（{max_year} 年）。",
                              "{start} + {days} days is beyond {max_year}"),
    "calendar.period_ambiguous": ("期限须且只能给出工作日、日或规则中的一项。",
                                  "give exactly one of working_days, days or rule"),
    "calendar.rule_unknown": ("未知期限规则「{rule}」（可用：{known}）。", "unknown rule '{rule}'; known rules: {known}"),
    "calendar.rule_extends_unknown": ("规则「{rule}」延长的规则「{extends}」不存在。",
                                      "rule '{rule}' extends unknown rule '{extends}'"),
    "calendar.unit_unknown": ("规则「{rule}」的单位「{unit}」未知。", "rule '{rule}' has unknown unit '{unit}'"),
    "calendar.period_invalid": ("期限必须是不小于 1 的整数，而不是 {n}。",
                                "a period of {unit} must be a whole number of at least 1, not {n}"),
    "calendar.year_out_of_range": ("{year} 年超出日历范围（{min}–{max}）。",
                                   "year {year} is outside the calendar's range {min}..{max}"),
    "calendar.file_invalid": ("期限规则文件有误：{detail}", "{detail}"),
    "calendar.folder_missing": ("放假安排目录 {folder} 不存在。", "arrangements folder {folder} does not exist"),
    # holiday arrangements (one State Council notice per year) and installing them
    "calendar.arrangement_invalid": ("放假安排文件 {file} 有 {count} 处问题。", "{file}: {count} problem(s)"),
    "calendar.not_installed": ("{file} 未安装：有 {count} 处问题。", "{file} not installed ({count} problem(s))"),
    "calendar.file_unreadable": ("无法读取文件 {file}（须为 UTF-8 文本）。", "cannot read {file} (it must be UTF-8 text)"),
    "calendar.toml_invalid": ("不是有效的 TOML：{detail}", "not valid TOML: {detail}"),
    "calendar.field_unknown": ("未知字段「{name}」。", "unknown field '{name}'"),
    "calendar.year_invalid": ("年份须为 {min} 至 {max} 之间的整数。", "year must be a whole number from {min} to {max}"),
    "calendar.notice_missing": ("缺少通知文号（例如 国办发明电〔2025〕7号）。",
                                "the notice number is missing (e.g. 国办发明电〔2025〕7号)"),
    "calendar.title_missing": ("缺少通知标题。", "the notice title is missing"),
    "calendar.published_missing": ("缺少通知发布日期（例如 published = 2025-11-04）。",
                                   "the notice's date is missing (e.g. published = 2025-11-04)"),
    "calendar.published_invalid": ("发布日期 {value} 不是日期（例如 2025-11-04）。",
                                   "published {value} is not a date such as 2025-11-04"),
    "calendar.days_not_tables": ("{key} 须写成表数组（[[{key}]]）。", "{key} must be an array of tables ([[{key}]])"),
    "calendar.name_missing": ("缺少名称（例如 春节）。", "the name is missing (e.g. 春节)"),
    "calendar.date_invalid": ("日期缺失或格式不正确（例如 {example}，不加引号）。",
                              "the date is missing or not a date such as {example} (without quotes)"),
    "calendar.date_outside_year": ("{date} 不在 {year} 年内，也不在相邻的年末年初。",
                                   "{date} is neither in {year} nor at the turn of the year next to it"),
    "calendar.date_repeated": ("{date} 已在第 {first_line} 行列出。", "{date} is already listed on line {first_line}"),
    "calendar.date_off_and_worked": ("{date} 既是放假日又是调休上班日（另见第 {other_line} 行）。",
                                     "{date} is both a day off and a make-up working day (see line {other_line})"),
    "calendar.make_up_not_weekend": ("{date} 不是周六或周日，不能作为调休上班日。",
                                     "{date} is a {weekday}; a make-up working day falls on a weekend"),
    "calendar.no_days_off": ("没有列出任何放假日。", "the arrangement lists no day off"),
    "backup.not_sqlite": ("pdw db backup/restore 只适用于 SQLite 数据库；PostgreSQL 请用 pg_dump/pg_restore（见部署指南）。",
                          "pdw db backup and restore work on an SQLite database; back PostgreSQL up with pg_dump and "
                          "pg_restore (see docs/deployment.md)"),
    "backup.no_database": ("数据库文件 {file} 不存在。", "there is no database file {file}"),
    "backup.target_exists": ("{file} 已存在；备份不会覆盖已有文件。", "{file} exists; a backup never overwrites a file"),
    "backup.not_a_backup": ("{file} 不是 PDW 的 SQLite 备份。", "{file} is not a PDW SQLite backup"),
    "backup.confirm": ("恢复将以 {file} 替换当前数据库的全部内容；请先停止各进程，然后加 --yes 重新运行。",
                       "restoring replaces everything in the database with {file}; stop the other processes, then "
                       "run again with --yes"),
    "done.backup": ("已备份 {pages} 页到 {file}", "backed up {pages} page(s) to {file}"),
    "done.restore": ("已从 {file} 恢复 {pages} 页；请运行 pdw db upgrade 和 pdw audit verify",
                     "restored {pages} page(s) from {file}; now run pdw db upgrade and pdw audit verify"),
    # Success messages of the command line (engine.cli.common.say).
    "done.department_added": ("已添加部门 {department}（{full_name}，类型：{kind}，层级：{level}）",
                              "added department {department} ({full_name}, kind {kind}, level {level})"),
    "done.department_changed": ("部门 {department}：{name}（{full_name}），类型：{kind}，层级：{level}",
                                "department {department}: {name} ({full_name}), kind {kind}, level {level}"),
    "done.department_retired": ("已撤销部门 {department}", "retired department {department}"),
    "done.level_added": ("已添加层级 {level}（{name}，{kind}，上级：{parent}）",
                         "added level {level} ({name}, {kind}, parent {parent})"),
    "done.user_added": ("已添加用户 {name}（角色：{roles}），所属组：{groups}", "added {name} ({roles}) groups: {groups}"),
    "done.password_set": ("已为 {name} 设置密码", "password set for {name}"),
    "done.user_disabled": ("已停用 {name}，其会话已全部结束", "disabled {name}; their sessions have ended"),
    "done.deployed": ("{process} v{version} 已部署", "{process} v{version} deployed"),
    "done.proposed": ("{process} v{version} 已提交，等待审批", "{process} v{version} proposed (waiting for approval)"),
    "done.unchanged": ("{process} v{version} 未变更", "{process} v{version} unchanged"),
    "done.version_approved": ("{process} v{version} 已批准并上线", "{process} v{version} approved; it is live"),
    "done.version_rejected": ("{process} v{version} 已驳回", "{process} v{version} rejected"),
    "done.task_completed": ("任务 {task} 已办结；申请状态：{status}；待办：{waiting}",
                            "task {task} completed; instance {status}; waiting for: {waiting}"),
    "done.instance_started": ("受理编号 {receipt}；状态：{status}；待办：{waiting}",
                              "receipt {receipt}; {status}; waiting for: {waiting}"),
    "done.instance_cancelled": ("申请 {instance} 已撤销；{tasks} 个未办任务一并取消",
                                "instance {instance} cancelled; {tasks} open task(s) cancelled"),
    "done.token_created": ("已为 {user} 创建令牌 {token}，{expires} 到期；令牌只显示这一次：",
                           "token {token} for {user}; expires {expires}; it is not shown again:"),
    "done.token_created_forever": ("已为 {user} 创建令牌 {token}，长期有效（直至撤销）；令牌只显示这一次：",
                                   "token {token} for {user}; expires never (until revoked); it is not shown again:"),
    "done.token_revoked": ("令牌 {token} 已撤销", "token {token} revoked"),
    "done.catalog_imported": ("目录变更申请：待审核 {held} 条，即时驳回 {refused} 条，无变化 {unchanged} 条",
                              "catalog change proposals: {held} held for review, {refused} refused at once, "
                              "{unchanged} unchanged"),
    "done.catalog_proposed": ("{where} {item}：{status}{proposal}", "{where} {item}: {status}{proposal}"),
    "done.catalog_decided": ("目录变更申请 {proposal}（{item}）：{status}", "catalog change proposal {proposal} ({item}): {status}"),
    "calendar.too_deep": ("文件嵌套超过 {limit} 层；放假安排只有表数组（[[days_off]]）一层。",
                          "the file nests deeper than {limit} levels; a notice has one level of tables ([[days_off]])"),
    "calendar.days_off_unusual": ("列出 {count} 个放假日，超过通常的 {max} 个（法定节假日 13 天加调休）；请核对通知。",
                                  "{count} days off listed, more than the usual {max} (13 statutory holidays "
                                  "with the weekends moved around them); check the notice"),
    "calendar.control_characters": ("{field} 含有控制字符（换行、制表符等）。",
                                     "{field} holds a control character (a newline, a tab, ...)"),
    "calendar.moves_deadlines": ("该放假安排将改变 {count} 个未办结的期限（见上）；确认后加 --yes 重新运行以安装。",
                                 "this notice moves {count} open deadline(s), listed above; run again with --yes "
                                 "to install it"),
    "calendar.year_installed": ("{year} 年已安装放假安排（{notice}，安装于 {installed_at}）；如需替换，请选择替换并说明理由。",
                                "{year} already has an arrangement ({notice}, installed {installed_at}); "
                                "replace it only with --replace and a reason"),
    "calendar.reason_missing": ("替换已安装的放假安排须说明理由。", "replacing an installed arrangement needs a reason"),
    "calendar.admin_only": ("只有系统管理员可以安装放假安排。",
                            "only an administrator may install holiday arrangements; '{user}' is not one"),
    "calendar.not_ready": ("数据库中还没有工作日历，请先运行 pdw db upgrade。",
                           "the database holds no calendar yet; run `pdw db upgrade` first"),
    "calendar.install_conflict": ("安装期间有申请发生了变化，未安装，请重试。",
                                  "application {instance} changed while the arrangement was being installed; "
                                  "nothing installed, try again"),
    # supervision reports
    "report.counted_to": ("{report}：截至 {day} · {scope}", "{report} as of {day} · {scope}"),
    "report.frozen_clock": ("本命令的时钟冻结于 {instant}（PDW_CLOCK）", "this command's clock is frozen at {instant} (PDW_CLOCK)"),
    "report.nothing": ("（无）", "(none)"),
    "clock.disagrees": ("本进程的时钟为 {ours}，而调度器 {worker} 最近一次运行时的时钟为 {scheduler}：两者读取的时间不同，"
                        "逾期与期限按本进程的时钟计算。请使两者的 PDW_CLOCK 一致。",
                        "this process's clock reads {ours} but the scheduler {worker} last swept by a clock reading "
                        "{scheduler}: they count deadlines to different days, and this process counts by its own. "
                        "Give both the same PDW_CLOCK"),
    "report.supervisors_only": ("只有监督人员可以查看督办报表。", "only supervisors may read supervision reports; "
                                                             "'{user}' is not one"),
    "report.not_a_date": ("{value} 不是日期（格式：2026-03-02）。", "'{value}' is not a date (YYYY-MM-DD)"),
    "report.refused": ("报表条件有误。", "report not produced"),
    "report.day_out_of_range": ("{value} 超出可统计的日期范围（{first} 至 {last}）。",
                                "{value} is outside the days a report can count ({first} to {last})"),
    "report.out_of_range": ("须为 {min} 至 {max} 之间的整数。", "must be a whole number from {min} to {max}"),
    "report.period_reversed": ("截止日期 {end} 早于起始日期 {start}。", "the end {end} is before the start {start}"),
    "report.grouping_unknown": ("未知的分组方式（可选：{allowed}）。", "unknown grouping; use one of {allowed}"),
    "report.period_unknown": ("未知的统计周期（可选：{allowed}）。", "unknown period; use one of {allowed}"),
    "urge.refused": ("催办未发出。", "not urged"),
    "urge.note_too_long": ("催办说明不能超过 {max} 个字。", "the note may have at most {max} characters"),
    "urge.task_closed": ("该任务已不在办理中，无需催办。", "task {task} is {state}; only open tasks are urged"),
    "task.not_yours": ("该任务不由您办理，您无权打开。", "task {task} is not yours to open"),
    "access_log.forbidden": ("查阅记录仅供该申请的监督人员和申请人所在部门负责人查看。",
                             "only the application's supervisors and the head of the applicant's department may "
                             "list who read it"),
    "urge.out_of_scope": ("您只能督办本部门（{department}）的工作。",
                          "task {task} is not the work of your department ({department})"),
    "round.schedule_refused": ("轮次计划未保存：{count} 处问题。", "round schedule not saved: {count} problem(s)"),
    "round.schedule_not_found": ("轮次计划 {schedule} 不存在。", "no round schedule {schedule}"),
    "round.field_required": ("此项为必填项。", "is required"),
    "round.procedure_unknown": ("没有已部署的流程 {procedure}。", "no deployed procedure '{procedure}'"),
    "round.cycle_unknown": ("周期 {cycle} 无效（可选：{known}）。", "unknown cycle '{cycle}' (one of {known})"),
    "round.anchor_invalid": ("起算日期 {anchor} 无效，应为 YYYY-MM-DD。",
                             "'{anchor}' is not a date such as 2027-01-15"),
    "round.department_unknown": ("部门 {department} 不存在。", "no department '{department}'"),
    "round.group_invalid": ("责任组 {group} 无效，应为“角色@部门”，如 reviewer@sjj。",
                            "'{group}' is not a group ROLE@DEPARTMENT of a known role and department, such as reviewer@sjj"),
    "round.rule_unknown": ("期限规则 {rule} 不存在于 rules.toml。", "no period rule '{rule}' in rules.toml"),
    "promise.refused": ("承诺时限未保存。", "promised time limit not saved"),
    "promise.longer_than_statutory": ("承诺时限 {days} 个工作日长于法定期限（{rule}，{article}），承诺时限只能短于或等于法定期限",
                                      "a promised time of {days} working day(s) is longer than the statutory period "
                                      "({rule}, {article}); a promise may be shorter than the law, never longer"),
    "promise.department_unknown": ("部门 {department} 不存在。", "no department '{department}'"),
    # notifications
    "notification.deadline_moved": ("{receipt_number}「{title}」的办理期限已按{notice}由 {old_due} 调整为 {new_due}。",
                                    "the deadline of '{title}' ({receipt_number}, task {task}) moved from {old_due} "
                                    "to {new_due} under {notice}"),
    "notification.deadline_passed": ("{receipt_number}「{title}」的办理期限按{notice}重新计算为 {new_due}，已经届满，请督办。",
                                     "re-counted under {notice}, the deadline of '{title}' ({receipt_number}, "
                                     "task {task}) is {new_due}, which has passed"),
    "notification.deadline_tomorrow": ("{receipt_number}「{title}」将于 {due_date} 届满（{article}），请抓紧办理。",
                                       "'{title}' ({receipt_number}, task {task}) is due on {due_date} "
                                       "({article}); one working day is left"),
    "notification.deadline_overdue": ("{receipt_number}「{title}」已于 {due_date} 届满仍未办结（{article}），"
                                      "办理人：{holder}，请督办。",
                                      "'{title}' ({receipt_number}, task {task}) was due on {due_date} ({article}) "
                                      "and is still open, held by {holder}"),
    "notification.extended": ("您的申请 {receipt_number} 答复期限由 {old_due} 延长至 {new_due}。延期理由：{reason}",
                              "the reply to your application {receipt_number} is extended from {old_due} to "
                              "{new_due}; reason: {reason}"),
    "notification.replied": ("您的申请 {receipt_number} 已答复，请查看答复内容。",
                             "your application {receipt_number} has been answered"),
    "notification.ended": ("您的申请 {receipt_number} 已由主管部门终止办理，理由：{reason}。请查看答复内容。",
                           "your application {receipt_number} has been ended by the authority; reason: {reason}"),
    "notification.urged": ("催办通知：{receipt_number}「{title}」已逾期 {days} 个工作日，{by} 请您尽快办理。{note}",
                           "urged by {by}: '{title}' ({receipt_number}, task {task}) is {days} working day(s) "
                           "overdue. {note}"),
    "notification.bulletin": ("通报：{receipt_number}「{title}」经 {urged_on} 催办后仍逾期未办结，现已逾期 {days} 个工作日，"
                              "办理人：{holder}。",
                              "bulletin: '{title}' ({receipt_number}, task {task}) is still open {days} working "
                              "day(s) overdue after being urged on {urged_on}, held by {holder}"),
    "warning.group_empty": ("{where}（{title}）：办理组 {group} 没有任何在职人员，发往该组的任务将无人办理。",
                            "{where} ({title}): nobody active is in group {group}, so work sent there reaches "
                            "nobody"),
    # requests refused for their form before any use case runs (webapp.bad_input, the API)
    "request.nul_byte": ("请求中含有空字符（NUL），无法处理。请删除该字符后重试。",
                         "the request's {location} holds a NUL character, which cannot be processed"),
    "request.malformed_json": ("请求体不是有效的 JSON（第 {line} 行第 {column} 列附近）。",
                               "the body is not valid UTF-8 JSON (near line {line}, column {column})"),
    "request.too_deep": ("JSON 嵌套超过 {max} 层，无法处理。", "the JSON nests deeper than {max} levels"),
    "request.not_json": ("请求体应为 JSON，请设置 Content-Type: application/json。",
                         "the body must be JSON, sent with 'Content-Type: application/json'"),
    "request.not_an_object": ("请求体应为 JSON 对象（{{…}}）。", "the body must be a JSON object ({{…}}), not {kind}"),
    "request.invalid": ("请求参数有误：有 {count} 处需要修改。", "the request has {count} problem(s)"),
    "request.field_invalid": ("{field} 的值不正确：{detail}", "{field}: {detail}"),
    # HTTP refusals that carry no code of their own
    "http.400": ("请求无效：格式或参数不正确。", "bad request: its form or parameters are wrong"),
    "http.401": ("需要身份验证。", "authentication is required"),
    "http.403": ("您无权执行该操作。", "you may not do this"),
    "http.404": ("您要找的资源不存在。", "there is nothing at this address"),
    "http.405": ("该地址不接受这种请求方式。", "this address does not accept this method"),
    "http.409": ("操作冲突，请刷新后重试。", "conflict: reload and try again"),
    "http.413": ("请求内容超过允许的大小（{max_mb} MB）。", "the request is larger than the {max_mb} MB allowed"),
    "http.415": ("不支持该请求内容类型。", "this content type is not supported here"),
    "http.422": ("请求参数有误。", "the request's parameters are invalid"),
    "http.429": ("请求过于频繁，请稍后再试。", "too many requests: try again later"),
    "http.500": ("系统处理请求时出错，已记录。请稍后重试；如问题持续，请联系系统管理员。",
                 "the server failed to process the request; it has been logged"),
    "http.503": ("服务暂不可用，请稍后再试。", "the service is unavailable: try again later"),
}


class _Values(dict):
    """Template values: lists joined for the language, a value given in both languages
    (`{"zh": ..., "en": ...}`) in the one asked for, a missing one shown as its name."""

    def __init__(self, params: dict[str, Any], lang: str) -> None:
        sep = "、" if lang == "zh" else ", "
        super().__init__({k: self._value(v, sep, lang) for k, v in params.items()})

    @staticmethod
    def _value(value: Any, sep: str, lang: str) -> Any:
        if isinstance(value, (list, tuple)):
            return sep.join(map(str, value))
        if isinstance(value, dict) and set(value) == {"zh", "en"}:
            return value["zh" if lang == "zh" else "en"]
        return value

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def render(code: str, params: dict[str, Any], lang: str = "en") -> str:
    """The text of `code` in `lang` ("zh" or "en", anything else is English) with `params` filled in.

    Raises:
        KeyError: `code` is not in the catalog (a bug: every raised code has an entry).
    """
    zh, en = MESSAGES[code]
    return (zh if lang == "zh" else en).format_map(_Values(params, lang))


def placeholders(template: str) -> set[str]:
    """The parameter names a template uses."""
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}
