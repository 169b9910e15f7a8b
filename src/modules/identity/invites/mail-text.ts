/** Account e-mails in the languages the console speaks; the reader's choice picks one. */
export const MAIL_LANGUAGES = ['en', 'zh-CN'] as const;
export type MailLanguage = (typeof MAIL_LANGUAGES)[number];

export function invitationMail(
  lng: MailLanguage,
  p: { tenant: string; inviter: string; link: string; expires: Date },
) {
  const until = p.expires.toISOString().slice(0, 16).replace('T', ' ');
  return lng === 'zh-CN'
    ? {
        subject: `${p.inviter} 邀请你加入 ${p.tenant}`,
        text: `${p.inviter} 邀请你加入 SuperInsight 上的“${p.tenant}”。\n\n打开以下链接设置姓名和密码（已有账号则用原密码加入）：\n${p.link}\n\n链接在 ${until} UTC 前有效，只能使用一次。如果你不认识邀请人，请忽略这封邮件。\n`,
      }
    : {
        subject: `${p.inviter} invited you to ${p.tenant}`,
        text: `${p.inviter} invited you to join "${p.tenant}" on SuperInsight.\n\nOpen this link to set your name and password (or to join with the account you already have):\n${p.link}\n\nThe link works once, until ${until} UTC. If you do not know the sender, ignore this e-mail.\n`,
      };
}

export function resetMail(lng: MailLanguage, p: { link: string; minutes: number; byAdmin: boolean }) {
  return lng === 'zh-CN'
    ? {
        subject: 'SuperInsight 密码重置',
        text: `${p.byAdmin ? '管理员为你的账号发起了密码重置。' : '有人为你的账号申请了密码重置。'}\n\n打开以下链接设置新密码：\n${p.link}\n\n链接在 ${p.minutes} 分钟内有效，只能使用一次。如果不是你本人申请，请忽略这封邮件，你的密码不会改变。\n`,
      }
    : {
        subject: 'Reset your SuperInsight password',
        text: `${p.byAdmin ? 'An administrator started a password reset for your account.' : 'Someone asked to reset the password of your account.'}\n\nOpen this link to choose a new password:\n${p.link}\n\nThe link works once, for ${p.minutes} minutes. If you did not ask for it, ignore this e-mail: your password stays as it is.\n`,
      };
}
