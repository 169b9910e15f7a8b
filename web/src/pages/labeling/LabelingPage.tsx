export default function LabelingPage() {
  return null;
}
