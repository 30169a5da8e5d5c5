"""The SIP guard: addresses that keep failing SIP authentication are banned with a PJSIP ACL.

``policy`` is pure (counting failures per address in a window, deciding bans, the ACL text);
``store`` keeps the bans across restarts (a state file); ``guard`` is the edge: Asterisk's
security events in over AMI, the ACL file out and res_pjsip reloaded.
"""
