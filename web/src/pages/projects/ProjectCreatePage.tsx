export default function ProjectCreatePage() {
  return null;
}
