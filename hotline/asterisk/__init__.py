"""The Asterisk side: provisioning the chroot, rendering its configuration, running the process."""
