"""Every error id the controller answers with, defined once: its HTTP status and what a user of the
zh-CN pages reads (``message_zh``, short, saying what to do).

The raise sites keep their own English ``message`` (the specific sentence: which ticket, which
field); the API's error body adds the catalogue's ``message_zh`` for the id, and the pages show it.
A :class:`~hotline.errors.HotlineError` raised without a status takes the catalogue's.
tests/unit/test_error_catalogue.py reads every raise site in hotline/ and fails for an id missing
here, a status that differs from the one here, or an entry nothing raises any more.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final


@dataclass(frozen=True, slots=True)
class ErrorEntry:
    status: int
    message_zh: str


# For an id not in the catalogue (an http-NNN of a status Starlette rarely answers).
GENERIC_MESSAGE_ZH: Final = "操作未能完成，请稍后重试；如仍失败，请联系管理员。"

CATALOGUE: Final[dict[str, ErrorEntry]] = {
    # --- the API edge: requests, sign-in, roles (hotline/api_errors.py, deps.py, auth/) -------------
    "request-invalid": ErrorEntry(422, "提交的内容不符合要求，请检查填写的内容后重试。"),
    "not-found": ErrorEntry(404, "没有这个页面或接口，请检查地址。"),
    "method-not-allowed": ErrorEntry(405, "该接口不支持此操作，请刷新页面后重试。"),
    "http-400": ErrorEntry(400, "提交的内容无法读取，请刷新页面后重试。"),
    "http-401": ErrorEntry(401, "服务器无法读取该文件，请联系管理员。"),
    "http-413": ErrorEntry(413, "提交的内容过大，请减少内容后重试。"),
    "csrf-failed": ErrorEntry(403, "页面已过期，请刷新页面后重试。"),
    "forbidden": ErrorEntry(403, "您的角色无权进行此操作；如需权限，请联系管理员。"),
    "auth-failed": ErrorEntry(401, "用户名或密码错误，或登录已过期，请重新登录。"),
    "metrics-auth-failed": ErrorEntry(
        401, "查看运行指标需要抓取令牌（hotline metrics token 生成），或以有权查看指标的账号登录。"
    ),
    "auth-locked": ErrorEntry(429, "登录失败次数过多，请稍后再试，或请管理员解除锁定。"),
    "user-exists": ErrorEntry(422, "该用户名已存在，请换一个用户名。"),
    "user-name-invalid": ErrorEntry(422, "用户名须为 1-64 位字母、数字、“-”或“_”。"),
    "user-password-weak": ErrorEntry(422, "密码太短，请设置更长的密码。"),
    "user-role-invalid": ErrorEntry(422, "没有该角色，请从列表中选择角色。"),
    "user-not-found": ErrorEntry(404, "没有该用户，请刷新列表后重试。"),
    "user-not-lawyer": ErrorEntry(422, "只有律师账号可以绑定律师分机。"),
    "user-not-supervisor": ErrorEntry(422, "只有值班主管可以分配监听话机。"),
    "user-self-lockout": ErrorEntry(422, "不能停用自己的账号或取消自己的管理员角色，请由其他管理员操作。"),
    # --- lawyers, extensions, duty and pauses (routing/) -----------------------------------------
    "lawyer-not-found": ErrorEntry(404, "没有使用该分机的律师，请检查分机号。"),
    "link-lawyer-not-found": ErrorEntry(
        422, "没有使用该分机的律师，无法关联账号；请先添加该律师或检查分机号。"
    ),
    "lawyer-already-linked": ErrorEntry(422, "该律师分机已绑定其他账号，请先在该账号上解除绑定。"),
    "lawyer-extension-invalid": ErrorEntry(422, "分机号须为 3-8 位数字，且不以 0 开头，如 8001。"),
    "lawyer-extension-taken": ErrorEntry(422, "该分机号已被占用，请换一个空闲的分机号。"),
    "phone-extension-taken": ErrorEntry(422, "该分机号已被占用，请换一个空闲的分机号。"),
    "lawyer-name-empty": ErrorEntry(422, "请填写律师姓名。"),
    "sip-password-weak": ErrorEntry(422, "SIP 密码至少需要 12 位。"),
    "lawyer-not-on-duty": ErrorEntry(409, "该律师当前不在值班，无法示忙或恢复；请先签入或导入排班。"),
    "pause-reason-unknown": ErrorEntry(422, "没有该示忙原因，请从列表中选择。"),
    "queue-settings-invalid": ErrorEntry(422, "队列设置超出允许范围，请按“范围”一栏修改后再保存。"),
    "roster-invalid": ErrorEntry(422, "排班表有错误，未导入任何内容；请按提示修改后重新导入。"),
    "roster-too-large": ErrorEntry(413, "排班表过大，未导入；请检查文件，或分批（如按月）导入。"),
    "roster-time-naive": ErrorEntry(422, "请给出带时区的开始时间，如 2026-12-01T00:00:00+08:00。"),
    "roster-timezone-unknown": ErrorEntry(503, "时区名称无法识别，请使用如 Asia/Shanghai 的时区名称。"),
    "roster-unreadable": ErrorEntry(422, "无法读取排班文件，请检查文件路径和权限。"),
    # --- the consoles: desk, wallboard, calls ---------------------------------------------------
    "webphone-disabled": ErrorEntry(409, "本热线未启用浏览器话机，请使用 SIP 软电话接听。"),
    "webphone-not-chosen": ErrorEntry(409, "您当前使用 SIP 软电话接听，请先在工作台切换到浏览器话机。"),
    "webphone-kind-invalid": ErrorEntry(422, "话机类型只能是软电话或浏览器话机。"),
    "video-disabled": ErrorEntry(409, "本热线暂未开通视频咨询，请拨打 12348 咨询。"),
    "video-number-invalid": ErrorEntry(422, "请填写能联系到您的电话号码，例如 13800000000。"),
    "video-topic-unknown": ErrorEntry(422, "请从列表中选择咨询类别。"),
    "video-address-limit": ErrorEntry(
        429, "您所在网络一小时内发起的视频咨询已达上限，请稍后再试，或拨打 12348。"
    ),
    "video-number-limit": ErrorEntry(429, "该电话号码今天发起的视频咨询已达上限，请拨打 12348 咨询。"),
    "video-full": ErrorEntry(503, "视频咨询线路已满，请稍后再试，或拨打 12348。"),
    "video-not-found": ErrorEntry(404, "没有这次视频咨询（可能已结束），请重新发起。"),
    "desk-no-lawyer": ErrorEntry(409, "您的账号未绑定律师分机，请联系管理员在“系统管理”中绑定。"),
    "call-not-yours": ErrorEntry(403, "该通话不在您的话机上，只能操作您自己当前的通话。"),
    "call-target-invalid": ErrorEntry(422, "请选择第三方，或填写 3-20 位数字的电话号码。"),
    "call-outside-line-missing": ErrorEntry(
        422, "未配置外线，只能呼叫律师分机；如需拨打外部号码，请联系管理员。"
    ),
    "caller-filter-denied": ErrorEntry(
        403, "您的角色只能看到隐藏部分数字的号码，不能按号码查询；请联系值班主管查询。"
    ),
    "lawyer-not-on-call": ErrorEntry(409, "该律师当前不在通话中，请在大屏显示其通话中时再监听。"),
    "supervisor-phone-missing": ErrorEntry(
        409, "监听需要先呼叫您自己的话机，您的账号尚无话机；请联系管理员在“系统管理”中分配监听话机。"
    ),
    "alert-not-found": ErrorEntry(404, "该预警不存在，可能已被确认，请刷新页面。"),
    # --- tickets and hand-offs (tickets/) ---------------------------------------------------------
    "ticket-not-found": ErrorEntry(404, "没有找到该工单，或该工单不属于您。"),
    "ticket-not-yours": ErrorEntry(403, "该工单不属于您；如需处理，请联系值班主管转给您。"),
    "ticket-closed": ErrorEntry(409, "该工单已办结，不能再修改；如需继续处理，请联系值班主管重新打开。"),
    "ticket-summary-missing": ErrorEntry(422, "请先填写咨询摘要，再选择“已解答”办结工单。"),
    "ticket-outcome-invalid": ErrorEntry(422, "留言工单需先回拨：请点“回拨”联系来电人后再办结，或选择转办。"),
    "ticket-open-failed": ErrorEntry(503, "未能为该通话建立工单，请稍后重试。"),
    "callback-no-number": ErrorEntry(422, "该工单没有来电号码，无法回拨。"),
    "callback-line-missing": ErrorEntry(409, "未配置外线，无法回拨市民；请联系管理员。"),
    "handoff-payload-invalid": ErrorEntry(
        422, "转办信息不完整，无法转交：请补全工单（如填写咨询摘要）后再保存。"
    ),
    "handoff-not-found": ErrorEntry(404, "没有该转办记录，请刷新页面。"),
    "handoff-not-dead": ErrorEntry(409, "该转办未失败，不需要手动重新发送，请刷新页面。"),
    # --- recordings, transcripts, quality review (recordings/, transcription/, quality/) ---------------
    "recording-not-found": ErrorEntry(404, "没有该录音。"),
    "recording-file-missing": ErrorEntry(
        404, "该录音暂时无法播放：可能尚未保存完成（请几秒后重试），或已按保存期限删除。"
    ),
    "recording-not-assigned": ErrorEntry(
        403, "该录音未指派给您：评查员只能复听自己评查任务中的通话；如需复听，请联系值班主管指派。"
    ),
    "recording-grant-invalid": ErrorEntry(403, "复听授权无效或已过期，请重新点击“开始复听”。"),
    "range-not-satisfiable": ErrorEntry(416, "请求的录音片段超出录音长度，请重新播放。"),
    "recording-keyring-invalid": ErrorEntry(503, "录音加密密钥配置有误，暂时无法读写录音；请联系管理员。"),
    "recording-tampered": ErrorEntry(500, "该录音文件已损坏或被改动，无法解密；请联系管理员从备份恢复。"),
    "review-not-found": ErrorEntry(404, "该评查任务不存在，或未指派给您。"),
    "review-not-yours": ErrorEntry(403, "只有被指派的评查员可以为该通话评分。"),
    "review-locked": ErrorEntry(
        409, "该评查已提交，评分已锁定，不可修改。如需重评，请联系值班主管重新指派。"
    ),
    "review-incomplete": ErrorEntry(422, "还有评分项未评分，请评分（或选择“不适用”）后再提交。"),
    "review-scores-invalid": ErrorEntry(422, "部分评分无效，请刷新页面后重新评分。"),
    "review-exists": ErrorEntry(409, "该评查员已有这通电话的评查任务。"),
    "review-recording-missing": ErrorEntry(404, "该录音不存在或已删除，不能评查。"),
    "reviewer-invalid": ErrorEntry(422, "该账号不是在职的评查员或值班主管，请选择负责评查的人员。"),
    "reviewer-is-the-lawyer": ErrorEntry(422, "评查员不能评查自己接听的通话，请指派其他评查员。"),
    "calibration-not-found": ErrorEntry(404, "没有该校准组。"),
    "calibration-too-few": ErrorEntry(422, "校准至少需要两位不同的评查员。"),
    "scorecard-invalid": ErrorEntry(422, "评分表配置有误，请联系管理员修改。"),
    # --- Asterisk and its AMI connection (ami/, asterisk/, sip/) -------------------------------------
    "ami-unavailable": ErrorEntry(503, "系统暂时未连接电话交换机，请稍后重试；如持续出现，请联系管理员。"),
    "ami-authentication-failed": ErrorEntry(503, "电话交换机拒绝了系统的登录，请联系管理员检查配置。"),
    "ami-action-failed": ErrorEntry(502, "电话交换机未能完成操作，请稍后重试。"),
    "ami-action-timeout": ErrorEntry(504, "电话交换机未及时响应，请稍后重试。"),
    "ami-action-value-unsafe": ErrorEntry(
        422, "号码或内容含有不允许的字符，未执行；电话号码只能是数字（可带前导 +）。"
    ),
    "ami-malformed-event": ErrorEntry(502, "电话交换机发来的消息无法识别，请联系管理员。"),
    "ami-protocol-error": ErrorEntry(
        502, "与电话交换机的连接出现协议错误，系统正在重新连接；如持续出现，请联系管理员。"
    ),
    "ami-write-class-forbidden": ErrorEntry(
        503, "AMI 用户的权限过大（可修改配置或执行命令），请管理员按提示收回。"
    ),
    "call-summary-malformed": ErrorEntry(502, "通话记录文件格式有误，请联系管理员。"),
    "queue-log-line-malformed": ErrorEntry(
        502, "队列日志（queue_log）中有无法识别的行，已跳过；如反复出现，请联系管理员。"
    ),
    "asterisk-root-missing": ErrorEntry(
        503, "尚未准备 Asterisk 运行环境，请管理员运行 hotline asterisk provision。"
    ),
    "asterisk-package-missing": ErrorEntry(
        503, "Asterisk 运行环境不完整，请管理员删除后重新运行 hotline asterisk provision。"
    ),
    "asterisk-user-missing": ErrorEntry(
        503, "Asterisk 运行环境不完整，请管理员删除后重新运行 hotline asterisk provision。"
    ),
    "webrtc-certificate-half": ErrorEntry(
        503, "浏览器话机的证书配置不完整：请同时配置证书和私钥文件，或都不配置（自动生成）。"
    ),
    "webrtc-certificate-unreadable": ErrorEntry(
        503, "无法读取浏览器话机的证书或私钥，请管理员检查证书文件。"
    ),
    "asterisk-too-old": ErrorEntry(503, "Asterisk 版本过旧，请管理员按提示升级。"),
    "asterisk-version-unreadable": ErrorEntry(503, "无法识别 Asterisk 的版本，请管理员检查 Asterisk 安装。"),
    "asterisk-provision-needs-root": ErrorEntry(
        503, "准备 Asterisk 运行环境需要 root 权限，请以 root 运行。"
    ),
    "asterisk-config-missing": ErrorEntry(
        503, "尚未生成 Asterisk 配置，请管理员先运行 hotline config render。"
    ),
    "asterisk-instance-name": ErrorEntry(422, "Asterisk 实例名只能包含小写字母、数字、“-”或“_”。"),
    "asterisk-start-failed": ErrorEntry(500, "Asterisk 未能启动，请管理员查看其日志。"),
    "asterisk-boot-failed": ErrorEntry(500, "Asterisk 未能按时完成启动，请管理员查看其日志。"),
    "asterisk-cli-failed": ErrorEntry(502, "Asterisk 命令执行失败，请管理员查看其日志。"),
    "asterisk-cli-timeout": ErrorEntry(504, "Asterisk 未及时响应命令，请稍后重试。"),
    "debootstrap-missing": ErrorEntry(503, "未安装 debootstrap，请管理员先运行 scripts/setup。"),
    "debootstrap-failed": ErrorEntry(503, "下载 Asterisk 运行环境失败，请检查 Debian 镜像是否可以访问。"),
    "dialplan-template-undefined": ErrorEntry(
        503, "拨号方案模板使用了未定义的值，请管理员修改模板后重新生成配置。"
    ),
    "prompt-tool-missing": ErrorEntry(503, "缺少生成语音提示的工具，请管理员运行 scripts/setup 安装。"),
    "prompt-synthesis-failed": ErrorEntry(503, "语音提示合成失败，请管理员检查提示文本。"),
    "prompt-convert-failed": ErrorEntry(503, "语音提示文件转换失败，请管理员检查该音频文件。"),
    "assessment-not-found": ErrorEntry(404, "您的账号未关联律师分机，没有考核结果。"),
    "criticism-taxonomy-invalid": ErrorEntry(422, "批评意见分类文件有误，请按提示修改后重试。"),
    "criticism-taxonomy-unreadable": ErrorEntry(422, "无法读取批评意见分类文件，请检查路径和格式。"),
    "criticism-channel-invalid": ErrorEntry(422, "工作人员只能录入来信和局长信箱意见。"),
    "criticism-open-failed": ErrorEntry(503, "批评意见编号未能生成，请重试。"),
    "criticism-assignee-invalid": ErrorEntry(422, "只能交给在岗的值守领导或值班主管，请重新选择。"),
    "criticism-category-invalid": ErrorEntry(422, "没有这个分类，请从列表中选择。"),
    "criticism-category-missing": ErrorEntry(422, "请先确认意见分类，再填写核查结果。"),
    "criticism-finding-missing": ErrorEntry(422, "请填写核查情况。"),
    "criticism-measure-missing": ErrorEntry(422, "意见属实时须填写整改措施。"),
    "criticism-reply-missing": ErrorEntry(422, "请填写答复内容（电话答复请写明答复要点）。"),
    "criticism-state-invalid": ErrorEntry(409, "该意见当前状态不能进行此操作，请刷新后按流程办理。"),
    "criticism-not-yours": ErrorEntry(403, "该意见由其他领导办理；如需接手，请值班主管转交。"),
    "criticism-not-found": ErrorEntry(404, "没有这条意见，或您无权查看。"),
    "leader-roster-invalid": ErrorEntry(422, "领导值守表有误，未做任何更改；请按提示修改后重新导入。"),
    "prompts-invalid": ErrorEntry(422, "语音提示文件格式有误：每条提示都需要非空的 text，请按提示修改。"),
    "prompts-unreadable": ErrorEntry(422, "无法读取语音提示文件，请检查文件路径和权限。"),
    "waiting-prompts-invalid": ErrorEntry(422, "排队提示文件 waiting.yaml 有误，请按提示修改后重试。"),
    "waiting-prompts-unreadable": ErrorEntry(422, "无法读取排队提示文件 waiting.yaml，请检查路径和格式。"),
    "sip-acl-reload-failed": ErrorEntry(502, "Asterisk 未能载入 SIP 封禁名单，请管理员查看其日志。"),
    "sip-address-invalid": ErrorEntry(422, "请填写一个 IP 地址，如 192.0.2.7。"),
    "sip-ban-not-found": ErrorEntry(404, "该地址未被封禁。"),
    "sip-bans-unreadable": ErrorEntry(503, "SIP 封禁名单文件无法读取，请管理员修复或删除该文件。"),
    # --- IVR flows, topics and holidays (ivr/) --------------------------------------------------------
    "ivr-invalid": ErrorEntry(422, "语音导航配置有错误，未生效；请按提示修改 ivr_flows 后重试。"),
    "flow-invalid": ErrorEntry(422, "语音导航流程有错误，请按提示修改后重试。"),
    "catalog-invalid": ErrorEntry(422, "咨询事项目录有错误，请按提示修改后重试。"),
    "calendar-invalid": ErrorEntry(422, "节假日日历有错误，请按提示修改后重试。"),
    # --- statistics and reports (stats/, reports/) ----------------------------------------------------
    "stats-range-invalid": ErrorEntry(422, "统计区间有误：结束日期须晚于开始日期，且区间不超过 400 天。"),
    "stats-by-invalid": ErrorEntry(
        422,
        "分组有误：请从 day、week、month、hour、topic、lawyer 等中至多选两项。",
    ),
    "stats-not-linked": ErrorEntry(403, "您的账号尚未关联律师分机，无法查看个人统计；请联系管理员。"),
    "report-month-invalid": ErrorEntry(422, "月份格式有误，请写成 YYYY-MM，如 2026-11。"),
    "report-not-found": ErrorEntry(404, "该月的报告尚未生成，请先生成。"),
    "report-failed": ErrorEntry(
        500, "报告生成失败，已保留上一次生成的版本；请联系管理员查看原因后重新生成。"
    ),
    "criticism-measures-missing": ErrorEntry(
        422, "请先由值守领导填写本月整改措施（群众意见页面），再发布分析报告。"
    ),
    "criticism-measures-too-long": ErrorEntry(422, "整改措施过长，请精简到一万字以内。"),
    "criticism-report-published": ErrorEntry(422, "该月分析报告已发布，整改措施不能再修改。"),
    "criticism-report-stale": ErrorEntry(422, "整改措施在报告生成后又有修改，请重新生成报告后再发布。"),
    # --- the lawyers' monthly assessment, 动态考核 (assessment/) -----------------------------------------
    "assessment-scheme-invalid": ErrorEntry(422, "考核方案有误，未生效；请按提示逐项修改后重新载入。"),
    "assessment-scheme-unreadable": ErrorEntry(422, "无法读取考核方案文件，请检查文件路径、权限和格式。"),
    # --- transcription (transcription/) ---------------------------------------------------------------
    "transcription-model-missing": ErrorEntry(
        500, "未配置语音识别模型，请管理员设置 HOTLINE_TRANSCRIPTION__MODEL_DIR。"
    ),
    # --- the monthly report (reports/) ----------------------------------------------------------------
    "report-font-missing": ErrorEntry(503, "缺少生成报表所需的中文字体，请管理员运行 scripts/setup 安装。"),
}


def entry_of(error_id: str) -> ErrorEntry | None:
    return CATALOGUE.get(error_id)


def message_zh(error_id: str) -> str:
    """What the zh-CN pages show for ``error_id``; a generic sentence for an id not catalogued."""
    entry = CATALOGUE.get(error_id)
    return entry.message_zh if entry is not None else GENERIC_MESSAGE_ZH
