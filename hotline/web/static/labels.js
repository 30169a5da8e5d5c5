// The Chinese words for what the API sends as codes, where more than one page shows them.

export const LAWYER_STATES = {
  free: "空闲", ringing: "振铃", on_call: "通话中", paused: "示忙",
  unavailable: "话机未注册", logged_out: "未签入",
};
export const CALL_OUTCOMES = { answered: "已接听", transferred: "已转接", voicemail: "留言", abandoned: "放弃", unanswered: "未接通", "callback-queued": "排队回电" };
export const LEGS = { caller: "来电人", lawyer: "律师" };
export const HANDOFF_DESTINATIONS = { "case-records": "法律援助/案件系统", "gov-12345": "12345 热线" };

// A lawyer's state into ``element`` (its class and data-state follow the state).
export function showLawyerState(element, state, pauseLabel) {
  element.className = `state state-${state}`;
  element.dataset.state = state;
  const label = LAWYER_STATES[state];
  element.textContent = state === "paused" && pauseLabel ? `${label}（${pauseLabel}）` : label;
}
