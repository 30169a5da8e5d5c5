"""Video consultation (视频咨询): a citizen on the public page /video gives a phone number and a
topic, allows camera and microphone, and calls from the browser into the same queues, recording,
rating and tickets as a phone call (lawyers who take video are offered first)."""
