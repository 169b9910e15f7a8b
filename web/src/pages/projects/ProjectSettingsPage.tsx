export default function ProjectSettingsPage() {
  return null;
}
