"""Provider adapters: Aliyun and Tencent SMS, SMTP email, and the database sink."""
